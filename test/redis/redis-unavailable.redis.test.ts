import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { redisInviteStorage } from '../../src/delivery/invite-storage.js';
import { InviteToChat } from '../../src/invite/invite-to-chat.js';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../src/redis/embedded.js';
import { RedisKeys } from '../../src/redis/keys.js';
import { SessionIdGenerator } from '../../src/sessions/session-id.js';
import { SessionStore } from '../../src/sessions/session-store.js';
import { loadStandardResponses } from '../../src/templates/catalog.js';
import { gatewayOptions, SAMPLE_TEMPLATES_DIR, TENANT1_KEY, testConfig } from '../support/gateway.js';
import { jsonInvite } from '../support/invites.js';
import { deleteKeys, listKeys, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { scratchDirectory } from '../support/scratch.js';
import { cloneKvList } from '../../src/esp/kvlist.js';
import { EspFault } from '../../src/esp/faults.js';

describe('when Redis is unavailable', () => {
  const redisDirectory = scratchDirectory('redis');
  let redisServer: EmbeddedRedis;
  let gateway: Gateway;

  beforeAll(async () => {
    redisServer = await startEmbeddedRedis(redisDirectory);
    gateway = await createGateway(gatewayOptions({ redisUrl: redisServer.url, redisPrefix: 'ig', role: 'api' }));
  });
  afterAll(async () => {
    await gateway?.close().catch(() => undefined);
    await redisServer?.stop();
  });

  it('answers 1050 / HTTP 503 with Retry-After at once, and /readyz turns 503', async () => {
    const before = await request(gateway.app!).post('/esp').set('Authorization', `Bearer ${TENANT1_KEY}`).send(jsonInvite());
    expect(before.status).toBe(200);
    expect((await request(gateway.app!).get('/readyz')).status).toBe(200);

    await redisServer.stop();
    const started = Date.now();
    const response = await request(gateway.app!).post('/esp').set('Authorization', `Bearer ${TENANT1_KEY}`).send(jsonInvite({ referenceId: 77 }));
    const elapsedMs = Date.now() - started;

    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.body).toEqual({
      ReferenceId: 77,
      Event: 'Event3rdServerFault',
      Request: { FaultCode: 1050, FaultString: expect.stringMatching(/cannot store the invite now/) },
    });
    // Fails fast: no offline queue, so nothing waits for a reconnect (the command timeout is 2 s).
    expect(elapsedMs).toBeLessThan(2_000);
    expect((await request(gateway.app!).get('/readyz')).status).toBe(503);
    const session = await request(gateway.app!).get('/sessions/0000000000000001').set('X-Api-Key', TENANT1_KEY);
    expect(session.status).toBe(503);
    expect(session.body).toEqual({ error: 'Redis is unavailable; try again later', code: 'redis_unavailable' });
  });
});

describe('when the delivery job cannot be added', () => {
  it('removes the session it just wrote and frees the idempotency key, then answers 1050', async () => {
    const prefix = uniquePrefix('nojob');
    const redis = new Redis(TEST_REDIS_URL);
    const keys = new RedisKeys(prefix);
    const store = new SessionStore(redis, keys, 600);
    // A queue on a port where no Redis listens: every add fails, as when Redis dies between the two writes.
    const deadConnection = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    deadConnection.on('error', () => undefined);
    const queue = new Queue('invite-delivery', { connection: deadConnection, prefix: keys.bullPrefix });
    queue.on('error', () => undefined);
    const config = parseConfig(testConfig());
    const useCase = new InviteToChat({ config, catalog: loadStandardResponses(SAMPLE_TEMPLATES_DIR), storage: redisInviteStorage(store, queue, config.retry), ids: new SessionIdGenerator(1) });
    const body = jsonInvite();
    try {
      const attempt = useCase.invite(
        {
          referenceId: 1,
          request: cloneKvList(body.Request as never),
          userData: cloneKvList(body.UserData as never),
        },
        { tenant: config.tenants[0]!, dryRun: false, idempotencyKey: 'job-add-fails' },
      );
      await expect(attempt).rejects.toSatisfy((error: unknown) => error instanceof EspFault && error.faultCode === 1050);
      const leftovers = await listKeys(redis, prefix);
      // Only the backlog counter (back to 0) and the withdrawal count may remain: no session, no
      // history, no idempotency key.
      expect(leftovers.filter((key) => !key.includes(':backlog:') && key !== keys.deliveryStats())).toEqual([]);
      expect(await redis.get(keys.tenantBacklog(1))).toBe('0');
      expect(await redis.hget(keys.deliveryStats(), 'withdrawnAfterDoubt')).toBe('1');
    } finally {
      await queue.close().catch(() => undefined);
      deadConnection.disconnect();
      await deleteKeys(redis, prefix);
      redis.disconnect();
    }
  });
});
