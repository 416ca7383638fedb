import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { scratchDirectory } from '../support/scratch.js';
import { startProcess } from '../support/start-process.js';

interface FatalLine {
  level: number;
  msg: string;
  err?: { type: string; code?: string; message: string; stack: string };
}

/** The fatal lines of a gateway's JSON log. */
function fatalLines(stdout: string): FatalLine[] {
  return stdout
    .trim()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as FatalLine)
    .filter((line) => line.level === 60);
}

describe('a start that fails logs the error, named, with its cause (issue 16.7)', () => {
  const directory = scratchDirectory('start-failure-log');

  it('a wrong configuration: the fatal line names ConfigError and its code', async () => {
    const configPath = join(directory, 'gateway.json');
    writeFileSync(configPath, JSON.stringify({ tenants: [], colour: 'red' }));
    const gateway = startProcess({ GATEWAY_CONFIG: configPath, PORT: '0', REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: uniquePrefix('config-log'), LOG_LEVEL: 'info' });
    expect(await gateway.exited).toBe(1);
    expect(fatalLines(gateway.stdout())).toEqual([
      expect.objectContaining({ msg: expect.stringContaining('unknown key "colour"'), err: expect.objectContaining({ type: 'ConfigError', code: 'CONFIG.INVALID' }) }),
    ]);
  }, 60_000);

  it('a port in use: the fatal line keeps the socket error behind the sentence', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      const gateway = startProcess({ PORT: String(port), REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: uniquePrefix('port-log'), LOG_LEVEL: 'info' });
      expect(await gateway.exited).toBe(1);
      expect(fatalLines(gateway.stdout())).toEqual([
        expect.objectContaining({
          msg: expect.stringContaining(`port ${port} is already in use`),
          // pino's err serializer writes the cause after the sentence, and its stack after the error's.
          err: expect.objectContaining({ type: 'Error', message: expect.stringMatching(/already in use .*: listen EADDRINUSE/), stack: expect.stringContaining('caused by: Error: listen EADDRINUSE') }),
        }),
      ]);
    } finally {
      holder.close();
    }
  }, 60_000);

  it('a refused Redis password: the log names the refusal and never holds the password (ioredis keeps AUTH\'s arguments on its error)', async () => {
    const url = new URL(TEST_REDIS_URL);
    url.username = 'gw';
    url.password = 's3cret-pass';
    const gateway = startProcess({ REDIS_URL: url.href, REDIS_WAIT_SECONDS: '1', PORT: '0', REDIS_PREFIX: uniquePrefix('auth-log'), LOG_LEVEL: 'info' });
    expect(await gateway.exited).toBe(1);
    expect(fatalLines(gateway.stdout())).toEqual([expect.objectContaining({ msg: expect.stringContaining('WRONGPASS'), err: expect.objectContaining({ type: 'Error' }) })]);
    expect(gateway.stdout() + gateway.stderr()).not.toContain('s3cret-pass');
  }, 60_000);
});
