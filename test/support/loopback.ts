import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/** A handler of a loopback fake: the request, its whole body, and the response to write. */
export type LoopbackHandler = (request: IncomingMessage, body: Buffer, response: ServerResponse) => unknown;

export interface LoopbackServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

/** Starts an HTTP server on a free loopback port that hands each request to `handler` with its body. */
export async function startLoopbackServer(handler: LoopbackHandler): Promise<LoopbackServer> {
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    await handler(request, Buffer.concat(chunks), response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
