import { Redis } from 'ioredis';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createApp } from '../../src/http/app.js';
import { ApiKeys } from '../../src/http/auth.js';
import { GatewayMetrics } from '../../src/http/metrics.js';
import type { InviteToChat } from '../../src/invite/invite-to-chat.js';
import { RedisKeys } from '../../src/redis/keys.js';
import { SessionStore } from '../../src/sessions/session-store.js';
import { TENANT1_KEY, testConfig } from '../support/gateway.js';
import { jsonInvite } from '../support/invites.js';
import { TEST_REDIS_URL } from '../support/redis.js';

describe('when the gateway fails unexpectedly', () => {
  const redis = new Redis(TEST_REDIS_URL);
  afterAll(() => redis.disconnect());

  it('answers 1099 / HTTP 500 without internals, and logs the error', async () => {
    const logged: unknown[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => logged.push(JSON.parse(line)) });
    const config = parseConfig(testConfig());
    // The use case is replaced by one that throws a programming error, the only way to reach 1099.
    const broken = { invite: async () => { throw new TypeError("Cannot read properties of undefined (reading 'secret')"); } } as unknown as InviteToChat;
    const app = createApp({
      inviteToChat: broken,
      apiKeys: new ApiKeys(config),
      bodyLimitBytes: 262_144,
      metrics: new GatewayMetrics(false),
      logger,
      config,
      store: new SessionStore(redis, new RedisKeys('igtest:unexpected'), 60),
      ending: undefined as never,
      conversations: undefined as never,
      inbound: undefined as never,
      answers: undefined as never,
      keys: undefined as never,
      openEventReader: undefined as never,
      redisAnswers: async () => true,
    });
    const response = await request(app).post('/esp').set('Authorization', `Bearer ${TENANT1_KEY}`).send(jsonInvite({ referenceId: 5 }));
    expect(response.status).toBe(500);
    expect(response.body).toEqual({ ReferenceId: 5, Event: 'Event3rdServerFault', Request: { FaultCode: 1099, FaultString: 'the gateway failed unexpectedly; the error is logged' } });
    expect(response.text).not.toMatch(/secret|TypeError|at /);
    expect(JSON.stringify(logged)).toMatch(/TypeError/);
  });
});
