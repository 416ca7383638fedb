import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { scratchDirectory } from '../support/scratch.js';
import { freePort, startProcess, type StartedProcess } from '../support/start-process.js';

/** The embedded Redis URL of a gateway started without REDIS_URL, once it listens. */
async function embeddedRedisOf(gateway: StartedProcess): Promise<string> {
  await gateway.waitFor(/invite-gateway listening/);
  return (await gateway.waitFor(/"redisUrl":"(redis:\/\/127\.0\.0\.1:\d+)"/))[1]!;
}

describe('gateways without REDIS_URL in one checkout', () => {
  // The bin runs from any directory: this one plays the checkout.
  const checkout = scratchDirectory('embedded');
  const started: StartedProcess[] = [];
  const clients: Redis[] = [];
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    for (const gateway of started) await gateway.stop();
  });
  const start = (port: number) => {
    const gateway = startProcess({ PORT: String(port), REDIS_URL: '', LOG_LEVEL: 'info' }, { bin: true, cwd: checkout });
    started.push(gateway);
    return gateway;
  };

  it('keep one embedded data directory per port: the second gateway does not load the first one\'s keys, and one on a taken directory is refused', async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    const first = start(portA);
    const firstRedis = new Redis(await embeddedRedisOf(first));
    clients.push(firstRedis);
    await firstRedis.set('left-by-the-first-gateway', 'yes');

    const second = start(portB);
    const secondRedis = new Redis(await embeddedRedisOf(second));
    clients.push(secondRedis);
    expect(await secondRedis.get('left-by-the-first-gateway')).toBeNull();
    expect(existsSync(join(checkout, '.redis-embedded', `port-${portA}`))).toBe(true);
    expect(existsSync(join(checkout, '.redis-embedded', `port-${portB}`))).toBe(true);

    // A third on the first one's port (and so its data) is refused before it touches that data.
    const third = start(portA);
    expect(await third.exited).toBe(1);
    expect(third.stderr()).toContain(`the embedded Redis data in ${join(checkout, '.redis-embedded', `port-${portA}`)} is in use by another invite-gateway (pid ${first.child.pid})`);
    expect(await firstRedis.get('left-by-the-first-gateway')).toBe('yes');
  }, 90_000);

  it('prints the embedded Redis URL in the start banner, a readable line on stderr that redis-cli -u can use', async () => {
    const gateway = start(await freePort());
    const fromLog = await embeddedRedisOf(gateway);
    const banner = (await gateway.waitFor(/^embedded Redis: (redis:\/\/127\.0\.0\.1:\d+) \(data in [^;]+; redis-cli -u (\S+);/m));
    expect(banner[1]).toBe(fromLog);
    expect(banner[2]).toBe(fromLog);
    expect(gateway.stderr()).toMatch(/^invite-gateway listening on port \d+ \(role all\)$/m);
    const client = new Redis(banner[1]!);
    clients.push(client);
    expect(await client.ping()).toBe('PONG');
  }, 60_000);
});
