import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationStore } from '../../src/conversations/conversation-store.js';
import { RedisKeys } from '../../src/redis/keys.js';
import { eventually, startTestGateway, TENANT1_KEY, testConfig, WA_BUSINESS_ID, type TestGateway } from '../support/gateway.js';
import { jsonInvite } from '../support/invites.js';

/** limits.sessionIdleSeconds: an open session with no message either way ends, reason idle. */
describe('idle conversations', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ label: 'idle', config: testConfig({ limits: { sessionIdleSeconds: 1 } }) });
  });
  afterAll(async () => {
    await gateway?.dispose();
  });

  it('an open session with no message for sessionIdleSeconds ends with reason idle; the customer then opens a new one', async () => {
    const invited = await request(gateway.app!).post('/esp').set('X-Api-Key', TENANT1_KEY).send(jsonInvite({ parameters: { _umsClientId: '+15551239201' } }));
    const sessionId = invited.body.Request._umsChatSessionId as string;
    const session = async () => (await request(gateway.app!).get(`/sessions/${sessionId}`).set('X-Api-Key', TENANT1_KEY)).body;
    await eventually(async () => ((await session()).state === 'open' ? true : undefined), 5_000, 'the session open');
    const ended = await eventually(async () => {
      const current = await session();
      return current.state === 'terminated' ? current : undefined;
    }, 8_000, 'the idle session ended');
    expect(ended.delivery).not.toBe('failed');
    const events = await gateway.redis.xrange(`${gateway.prefix}:session:${sessionId}:events`, '-', '+');
    const end = events.map(([, fields]) => fields).find((fields) => fields[fields.indexOf('event') + 1] === 'session.ended');
    expect(JSON.parse(end![end!.indexOf('data') + 1]!)).toEqual({ reason: 'idle', state: 'terminated' });

    const conversations = new ConversationStore(gateway.redis, new RedisKeys(gateway.prefix), { sessionTtlSeconds: 600, chatQueueMaxLen: 100, eventsMaxLen: 100 });
    const later = await conversations.recordInbound(
      { tenant: 1, name: 'whatsapp-main', type: 'whatsapp', inboundRouteByCall: '1:session-WA-inbound' },
      { providerMessageId: 'wamid.IDLE.later', clientId: '+15551239201', businessId: WA_BUSINESS_ID, at: new Date().toISOString(), kind: 'text', text: 'hello again' },
      '0IDLE00000000001',
    );
    expect(later).toMatchObject({ kind: 'recorded', sessionId: '0IDLE00000000001', created: true });
  });

  it('a session with messages going on is not ended while they keep coming', async () => {
    const invited = await request(gateway.app!)
      .post('/esp')
      .set('X-Api-Key', TENANT1_KEY)
      .send(jsonInvite({ parameters: { _umsClientId: '+15551239202' }, userData: { SandboxReply: 'still here', SandboxReplyCount: '10' } }));
    const sessionId = invited.body.Request._umsChatSessionId as string;
    // The sandbox's customer writes every 100 ms for a second: within the idle limit all along.
    await eventually(async () => ((await gateway.redis.llen(`${gateway.prefix}:session:${sessionId}:messages`)) >= 8 ? true : undefined), 8_000, 'the replies');
    expect((await request(gateway.app!).get(`/sessions/${sessionId}`).set('X-Api-Key', TENANT1_KEY)).body.state).toBe('open');
  });
});
