import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';

export interface GracefulClose {
  /**
   * Stops accepting connections, answers every request already started (with `Connection: close`)
   * and resolves once every connection has closed, or once `graceMs` have passed: then the
   * connections still open are cut. Resolves with how many had to be cut.
   */
  close(graceMs: number): Promise<number>;
}

/**
 * Watches a server's connections so that a shutdown never cuts a request off.
 *
 * Node's own `server.close()` destroys every keep-alive connection that is idle at that instant;
 * a client that has just sent its next request on such a connection (it cannot know) gets
 * ECONNRESET instead of an answer. Here idle keep-alive connections stay open during the grace
 * period: a request arriving on one is answered with `Connection: close`, after which Node ends the
 * connection; one that stays unused is closed by the server's keep-alive timeout (announced to
 * clients in `Keep-Alive: timeout=`), or at the end of the grace period.
 */
export function gracefulCloser(server: Server): GracefulClose {
  const connections = new Set<Socket>();
  const inFlight = new Set<ServerResponse>();
  let closing = false;

  server.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  // Before the app's own listener, so that even an answer sent at once carries the header.
  server.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => {
    if (closing) answerLast(response);
    inFlight.add(response);
    response.once('close', () => inFlight.delete(response));
  });

  return {
    async close(graceMs) {
      closing = true;
      for (const response of inFlight) answerLast(response);
      // net.Server's close, not http.Server's: the latter also destroys idle keep-alive connections.
      const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
      const graceOver = new Promise<'graceOver'>((resolve) => setTimeout(() => resolve('graceOver'), graceMs).unref());
      if ((await Promise.race([closed, graceOver])) !== 'graceOver') return 0;
      const cut = connections.size;
      for (const socket of connections) socket.destroy();
      await closed;
      return cut;
    },
  };
}

/** The connection ends after this answer, so the client does not send another request on it. */
function answerLast(response: ServerResponse): void {
  if (!response.headersSent) response.setHeader('Connection', 'close');
}
