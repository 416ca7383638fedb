import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { GatewayConfigInput } from '../../src/config/schema.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { eventually, gatewayOptions, TENANT1_KEY, testConfig } from '../support/gateway.js';
import { FakeWhatsApp } from '../support/fake-whatsapp.js';
import { jsonInvite } from '../support/invites.js';
import { deleteKeys, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { Redis } from 'ioredis';

describe('a channel stopped by its provider account', () => {
  const fake = new FakeWhatsApp('good-token');
  const prefix = uniquePrefix('chanstop');
  let baseUrl: string;
  let gateway: Gateway;

  function configWithToken(token: string): GatewayConfigInput {
    const config = testConfig({ retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 300 } });
    config.tenants[0]!.channels[0]!.connector = { kind: 'whatsapp-cloud', baseUrl, apiVersion: 'v23.0', phoneNumberId: 'PNID', token };
    return config;
  }

  const start = (token: string) => createGateway(gatewayOptions({ redisPrefix: prefix, config: parseConfig(configWithToken(token)) }));
  const invite = (clientId: string) => request(gateway.app!).post('/esp').set('Authorization', `Bearer ${TENANT1_KEY}`).send(jsonInvite({ parameters: { _umsClientId: clientId } }));
  const session = async (sessionId: string) => (await request(gateway.app!).get(`/sessions/${sessionId}`).set('X-Api-Key', TENANT1_KEY)).body;

  beforeAll(async () => {
    baseUrl = await fake.start();
  });
  afterAll(async () => {
    await gateway?.close();
    await fake.stop();
    const redis = new Redis(TEST_REDIS_URL);
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  it('a blocked account (131031) fails the invite, refuses new ones with 1022 until resumed', async () => {
    gateway = await start('good-token');
    fake.program('+15551238001', { kind: 'error', httpStatus: 400, code: 131031, message: 'Business account is restricted' });
    const first = (await invite('+15551238001')).body.Request._umsChatSessionId;
    expect(await eventually(async () => ((await session(first)).state === 'failed' ? session(first) : undefined))).toMatchObject({ error: { code: 'account_blocked', providerCode: 131031 } });

    const refused = await invite('+15551238002');
    expect(refused.body.Request).toMatchObject({ FaultCode: 1022, FaultString: expect.stringMatching(/channel whatsapp-main is stopped \(account_blocked, provider error 131031\)/) });

    const resumed = await request(gateway.app!).post('/channels/whatsapp-main/resume').set('X-Api-Key', TENANT1_KEY);
    expect(resumed.body).toEqual({ channel: 'whatsapp-main', resumed: true });
    expect((await invite('+15551238003')).status).toBe(200);
    await gateway.close();
  });

  it('an expired token (190) holds the invite, which is sent once the channel runs with new credentials', async () => {
    gateway = await start('expired-token');
    const held = (await invite('+15551238004')).body.Request._umsChatSessionId;
    // The first send meets 401/190; from then on the door refuses invites on the channel.
    await eventually(async () => ((await invite('+15551238005')).body.Request?.FaultCode === 1022 ? true : undefined), 5_000, 'the channel to stop');
    expect(await session(held)).toMatchObject({ state: 'sending', delivery: 'pending', error: null });

    await gateway.close();
    gateway = await start('good-token');
    const sent = await eventually(async () => ((await session(held)).delivery === 'sent' ? session(held) : undefined), 8_000, 'the held invite to be sent');
    expect(sent.state).toBe('open');
    expect(fake.sendsTo('+15551238004')).toHaveLength(1);
    expect((await invite('+15551238006')).status).toBe(200);
  });
});
