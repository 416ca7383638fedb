import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../src/redis/embedded.js';
import { RedisKeys } from '../../src/redis/keys.js';
import { FakeWhatsApp } from '../support/fake-whatsapp.js';
import { eventually, gatewayOptions, TENANT1_KEY, testConfig } from '../support/gateway.js';
import { jsonInvite } from '../support/invites.js';
import { listKeys } from '../support/redis.js';
import { scratchDirectory } from '../support/scratch.js';

/** Short, so the test is short: the API gives up on Redis after this and answers 1050. */
const COMMAND_TIMEOUT_MS = 1_000;
/** Longer than the command timeout: every invite sent during the pause is answered 1050. */
const PAUSE_MS = 2_500;

const number = (group: number, i: number) => `+1555${group}${String(100_000 + i)}`;

describe('an invite answered with a fault is never sent', () => {
  const fake = new FakeWhatsApp('guarantee-token');
  // CLIENT PAUSE stops every client of a server: this file gets a redis-server of its own.
  const redisDirectory = scratchDirectory('guarantee-redis');
  const prefix = 'ig';
  const keys = new RedisKeys(prefix);
  let redisServer: EmbeddedRedis;
  let gateway: Gateway;
  let redis: Redis;

  beforeAll(async () => {
    await fake.start();
    redisServer = await startEmbeddedRedis(redisDirectory);
    redis = new Redis(redisServer.url);
    const config = testConfig({ limits: { redisCommandTimeoutMs: COMMAND_TIMEOUT_MS } });
    config.tenants[0]!.channels[0]!.connector = fake.connector('PNID-GUARANTEE');
    gateway = await createGateway(gatewayOptions({ redisUrl: redisServer.url, redisPrefix: prefix, config: parseConfig(config) }));
  });
  afterAll(async () => {
    await gateway?.close().catch(() => undefined);
    redis?.disconnect();
    await redisServer?.stop();
    await fake.stop();
  });

  const invite = (clientId: string, idempotencyKey?: string) => {
    const call = request(gateway.app!).post('/esp').set('Authorization', `Bearer ${TENANT1_KEY}`);
    if (idempotencyKey) call.set('Idempotency-Key', idempotencyKey);
    return call.send(jsonInvite({ parameters: { _umsClientId: clientId } }));
  };

  it('when Redis is paused longer than the command timeout, the invites answered 1050 are never sent once it resumes', async () => {
    const before = await Promise.all(Array.from({ length: 10 }, (_, i) => invite(number(1, i))));
    expect(before.map((response) => response.status)).toEqual(Array(10).fill(200));

    const pauser = new Redis(redisServer.url);
    await pauser.call('CLIENT', 'PAUSE', String(PAUSE_MS), 'ALL');
    pauser.disconnect();
    const during = await Promise.all(Array.from({ length: 30 }, (_, i) => invite(number(2, i), i === 0 ? 'retry-after-pause' : undefined)));
    expect(during.map((response) => [response.status, response.body.Request?.FaultCode])).toEqual(Array(30).fill([503, 1050]));

    // Redis resumes and runs every write the API gave up on; none of them may become a send.
    await sleep(PAUSE_MS);
    const after = await Promise.all(Array.from({ length: 10 }, (_, i) => invite(number(3, i))));
    expect(after.map((response) => response.status)).toEqual(Array(10).fill(200));
    // The invites accepted on both sides of the pause arrive: the worker was free to send the others too.
    await eventually(async () => (fake.received.length >= 20 ? true : undefined), 15_000, 'the accepted invites to be sent');
    const stats = await eventually(async () => {
      const counted = await redis.hgetall(keys.deliveryStats());
      const withdrawn = Number(counted.withdrawnUnconfirmed ?? 0) + Number(counted.withdrawnAfterDoubt ?? 0);
      return withdrawn >= 30 ? counted : undefined;
    }, 10_000, 'the 30 refused invites to be withdrawn');
    expect(Number(stats.refusedButSent ?? 0)).toBe(0);

    const sentTo = new Set(fake.received.map((send) => send.body.to));
    for (let i = 0; i < 10; i++) expect(sentTo.has(number(1, i)) && sentTo.has(number(3, i))).toBe(true);
    for (let i = 0; i < 30; i++) expect(sentTo.has(number(2, i)), `refused invite ${i} was sent`).toBe(false);
    expect(fake.received).toHaveLength(20);
    // Withdrawn means gone: no session record, and the backlog counts nothing for them.
    const sessions = (await listKeys(redis, prefix)).filter((key) => /:session:\w+$/.test(key));
    expect(sessions).toHaveLength(20);
    expect(await redis.get(keys.tenantBacklog(1))).toBe('0');
  });

  it('a retry with the idempotency key of an invite answered 1050 is a new invite, sent once', async () => {
    // The first try under this key was answered 1050 during the pause above; faults are not remembered.
    const retried = await invite(number(2, 0), 'retry-after-pause');
    expect(retried.status).toBe(200);
    await eventually(async () => (fake.sendsTo(number(2, 0)).length === 1 ? true : undefined), 10_000, 'the retried invite to be sent');
    const replayed = await invite(number(2, 0), 'retry-after-pause');
    expect(replayed.body.Request._umsChatSessionId).toBe(retried.body.Request._umsChatSessionId);
    await sleep(300);
    expect(fake.sendsTo(number(2, 0))).toHaveLength(1);
  });

  it('GET /metrics shows the withdrawn invites and that no refused invite was taken by a worker', async () => {
    const metrics = await request(gateway.app!).get('/metrics');
    const value = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(metrics.text)?.[1]);
    expect(value('invite_gateway_invites_withdrawn_unconfirmed_total') + value('invite_gateway_invites_withdrawn_after_doubt_total')).toBeGreaterThanOrEqual(30);
    expect(value('invite_gateway_refused_invites_taken_total')).toBe(0);
    expect(value('invite_gateway_possible_duplicate_sends_total')).toBe(0);
  });
});
