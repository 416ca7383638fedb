import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { startProcess, type StartedProcess } from '../support/start-process.js';

/** Holds a port the way a first gateway does: listening on every address. */
async function holdPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, resolve));
  return { server, port: (server.address() as { port: number }).port };
}

describe('a start on a port already in use', () => {
  const started: StartedProcess[] = [];
  const held: Server[] = [];
  afterAll(async () => {
    for (const process of started) await process.stop();
    for (const server of held) server.close();
  });

  for (const form of [
    { name: 'npm start (node --import tsx src/main.ts)', bin: false },
    { name: 'the bin (npx invite-gateway)', bin: true },
  ]) {
    it(`stops with a sentence naming the port and exits non-zero: ${form.name}`, async () => {
      const { server, port } = await holdPort();
      held.push(server);
      const gateway = startProcess({ PORT: String(port), REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: uniquePrefix('port-in-use'), LOG_LEVEL: 'info' }, { bin: form.bin });
      started.push(gateway);

      const status = await gateway.exited;
      const output = gateway.stdout() + gateway.stderr();
      expect(status, output).not.toBe(0);
      expect(status).not.toBeNull();
      expect(output).toContain(`port ${port} is already in use`);
      expect(output).not.toContain('invite-gateway listening');
    }, 60_000);
  }
});
