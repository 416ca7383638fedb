import { describe, expect, it } from 'vitest';
import { uniquePrefix } from '../support/redis.js';
import { freePort, startProcess } from '../support/start-process.js';

/** Longer than REDIS_WAIT_SECONDS plus tsx's start, far shorter than the 30 s default. */
const GIVE_UP_WITHIN_MS = 20_000;

describe('a REDIS_URL nothing answers on', () => {
  it('gives up after REDIS_WAIT_SECONDS and exits 1 naming the URL (password masked) and ECONNREFUSED', async () => {
    const port = await freePort();
    const gateway = startProcess({ REDIS_URL: `redis://gw:s3cret-pass@127.0.0.1:${port}`, REDIS_WAIT_SECONDS: '2', PORT: '0', REDIS_PREFIX: uniquePrefix('no-redis'), LOG_LEVEL: 'info' });
    try {
      const status = await Promise.race([gateway.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), GIVE_UP_WITHIN_MS))]);
      expect(status, gateway.stdout() + gateway.stderr()).toBe(1);
      expect(gateway.stderr()).toContain(`invite-gateway cannot start: Redis at redis://gw:****@127.0.0.1:${port} did not answer within 2 s: connect ECONNREFUSED 127.0.0.1:${port}`);
      expect(gateway.stdout()).toContain('ECONNREFUSED');
      expect(gateway.stdout() + gateway.stderr()).not.toContain('s3cret-pass');
      expect(gateway.stdout()).not.toContain('invite-gateway listening');
    } finally {
      await gateway.stop();
    }
  }, 60_000);
});
