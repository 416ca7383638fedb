import type { Gateway } from '../../src/gateway.js';

/** Serves a bench gateway on a free loopback port, prints `{"port"}` for the bench, stops on SIGTERM. */
export function serveForBench(gateway: Gateway): void {
  const server = gateway.app!.listen(0, '127.0.0.1', () => {
    const address = server.address();
    console.log(JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 }));
  });
  process.on('SIGTERM', async () => {
    server.close();
    await gateway.close();
    process.exit(0);
  });
}
