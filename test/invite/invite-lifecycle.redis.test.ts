import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestGateway, TENANT1_KEY, TENANT2_KEY, type TestGateway } from '../support/gateway.js';
import { jsonInvite } from '../support/invites.js';

describe('an invite from ESP request to chat queue', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startTestGateway({ label: 'lifecycle' });
  });
  afterAll(async () => gateway?.dispose());

  async function invite(body: unknown) {
    const response = await request(gateway.app!).post('/esp').set('Authorization', `Bearer ${TENANT1_KEY}`).send(body as object);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body.Request._umsChatSessionId as string;
  }

  async function session(sessionId: string, key = TENANT1_KEY) {
    return request(gateway.app!).get(`/sessions/${sessionId}`).set('X-Api-Key', key);
  }

  async function sessionWhen(sessionId: string, predicate: (body: Record<string, unknown>) => boolean) {
    return eventually(async () => {
      const { body } = await session(sessionId);
      return predicate(body) ? body : undefined;
    }, 5_000, `session ${sessionId}`);
  }

  it('answers the ESP reply with the session id and ReferenceId, after the session and its job are in Redis', async () => {
    const response = await request(gateway.app!).post('/esp').set('Authorization', `Bearer ${TENANT1_KEY}`).send(jsonInvite({ referenceId: 41 }));
    expect(response.body).toEqual({ ReferenceId: 41, Event: 'Event3rdServerResponse', Request: { _umsChatSessionId: expect.stringMatching(/^[0-9A-Za-z]{16}$/) } });
    const sessionId = response.body.Request._umsChatSessionId;
    expect(await gateway.redis.exists(`${gateway.prefix}:session:${sessionId}`)).toBe(1);
    expect(await gateway.redis.exists(`${gateway.prefix}:bull:invite-delivery:${sessionId}`)).toBe(1);
  });

  it('sends through the sandbox, opens the session in its chat queue and follows delivered then read', async () => {
    const sessionId = await invite(jsonInvite({ parameters: { _umsClientId: '+15551230011' } }));
    const read = await sessionWhen(sessionId, (body) => body.delivery === 'read');
    expect(read).toMatchObject({
      sessionId,
      tenant: 1,
      channel: 'whatsapp-main',
      state: 'open',
      type: 'Outbound',
      subtype: 'OutboundNew',
      chatQueueKey: '1:session-WA-inbound',
      terminate: false,
      clientId: '+*******0011',
      businessId: '+15550001111',
      standardResponseId: 'order_ready',
      attempts: 1,
      providerMessageId: expect.stringMatching(/^sandbox\./),
      error: null,
      userData: { GCTI_Chat_SubmitAsOutbound: 'true', LastCalledAgent_EmployeeID: 'ag7102', StoreName: 'Main St' },
    });
    const events = (read.history as Array<{ event: string; at: string }>).map((entry) => entry.event);
    expect(events).toEqual(['state:queued', 'state:sending', 'state:open', 'delivery:sent', 'delivery:delivered', 'delivery:read']);
    for (const entry of read.history as Array<{ at: string }>) expect(new Date(entry.at).toISOString()).toBe(entry.at);

    const stream = await gateway.redis.xrange(`${gateway.prefix}:chatqueue:1:session-WA-inbound`, '-', '+');
    const placed = stream.map(([, fields]) => Object.fromEntries(chunkPairs(fields))).find((entry) => entry.sessionId === sessionId);
    expect(placed).toMatchObject({ sessionId, channel: 'whatsapp-main', clientId: '+15551230011', businessId: '+15550001111', type: 'Outbound', subtype: 'OutboundNew' });
    expect(JSON.parse(placed!.userData!)).toMatchObject({ LastCalledAgent_EmployeeID: 'ag7102' });
  });

  it('places the session in the ChatQueueKey queue when one is given, readable by a consumer group', async () => {
    const sessionId = await invite(jsonInvite({ parameters: { _umsClientId: '+15551230012', ChatQueueKey: '1:session-WA-sendSR' } }));
    await sessionWhen(sessionId, (body) => body.state === 'open');
    const key = `${gateway.prefix}:chatqueue:1:session-WA-sendSR`;
    await gateway.redis.xgroup('CREATE', key, 'routing', '0');
    const read = (await gateway.redis.xreadgroup('GROUP', 'routing', 'urs-1', 'COUNT', 10, 'STREAMS', key, '>')) as Array<[string, Array<[string, string[]]>]>;
    const ids = read[0]![1].map(([, fields]) => Object.fromEntries(chunkPairs(fields)).sessionId);
    expect(ids).toEqual([sessionId]);
  });

  it('with TerminateSessionFlag=true, ends the session right after the send and keeps tracking delivery', async () => {
    const sessionId = await invite(jsonInvite({ parameters: { _umsClientId: '+15551230013', TerminateSessionFlag: 'TRUE', ChatQueueKey: '1:notifications' } }));
    const read = await sessionWhen(sessionId, (body) => body.delivery === 'read');
    expect(read).toMatchObject({ state: 'terminated', terminate: true });
    expect(await gateway.redis.exists(`${gateway.prefix}:chatqueue:1:notifications`)).toBe(0);
  });

  it('without StandardResponseId, opens the session with no message', async () => {
    const sessionId = await invite(jsonInvite({ parameters: { _umsClientId: '+15551230014', StandardResponseId: undefined } }));
    const opened = await sessionWhen(sessionId, (body) => body.state === 'open');
    expect(opened).toMatchObject({ delivery: 'none', attempts: 0, providerMessageId: null, standardResponseId: null });
  });

  it('with TerminateSessionFlag=true and no StandardResponseId, the session is created and ended at once, never placed in a chat queue', async () => {
    const sessionId = await invite(jsonInvite({ parameters: { _umsClientId: '+15551230017', StandardResponseId: undefined, TerminateSessionFlag: 'true', ChatQueueKey: '1:no-message-ends' } }));
    const ended = await sessionWhen(sessionId, (body) => body.state === 'terminated');
    expect(ended).toMatchObject({ delivery: 'none', attempts: 0, terminate: true });
    expect((ended.history as Array<{ event: string }>).map((entry) => entry.event)).toEqual(['state:queued', 'state:terminated']);
    expect(await gateway.redis.xlen(`${gateway.prefix}:chatqueue:1:no-message-ends`)).toBe(0);
    // Routing learns it ended: a session.ended event on the tenant's events stream.
    const events = await gateway.redis.xrange(`${gateway.prefix}:events:1`, '-', '+');
    const ends = events.map(([, fields]) => fields).filter((fields) => fields[fields.indexOf('sessionId') + 1] === sessionId && fields[fields.indexOf('event') + 1] === 'session.ended');
    expect(ends.map((fields) => JSON.parse(fields[fields.indexOf('data') + 1]!))).toEqual([{ reason: 'terminate_flag', state: 'terminated' }]);
  });

  it('without GCTI_Chat_SubmitAsOutbound, the session is Inbound/InboundNew', async () => {
    const sessionId = await invite(jsonInvite({ parameters: { _umsClientId: '+15551230015' }, userData: { GCTI_Chat_SubmitAsOutbound: undefined } }));
    expect((await session(sessionId)).body).toMatchObject({ type: 'Inbound', subtype: 'InboundNew' });
  });

  it('when the provider answers a permanent error, the session fails with the outcome and provider code', async () => {
    const sessionId = await invite(jsonInvite({ parameters: { _umsClientId: '+15551230016' }, userData: { SandboxOutcome: '131026' } }));
    const failed = await sessionWhen(sessionId, (body) => body.state === 'failed');
    expect(failed).toMatchObject({ delivery: 'failed', attempts: 1, error: { code: 'undeliverable', providerCode: 131026 } });
  });

  it('when the provider keeps answering a transient error, the send is retried up to the limit, then fails', async () => {
    const sessionId = await invite(jsonInvite({ parameters: { _umsClientId: '+15551230017' }, userData: { SandboxOutcome: '131000' } }));
    const failed = await sessionWhen(sessionId, (body) => body.state === 'failed');
    expect(failed).toMatchObject({ delivery: 'failed', attempts: 3, error: { code: 'transient', providerCode: 131000 } });
  });

  it('when a recipient stopped marketing messages, later invites to them are refused at the door with 1022', async () => {
    const body = jsonInvite({ parameters: { _umsClientId: '+15551230018' }, userData: { SandboxOutcome: '131050' } });
    const sessionId = await invite(body);
    await sessionWhen(sessionId, (session) => session.state === 'failed');
    const again = await request(gateway.app!).post('/esp').set('Authorization', `Bearer ${TENANT1_KEY}`).send(jsonInvite({ parameters: { _umsClientId: '+15551230018' } }));
    expect(again.status).toBe(400);
    expect(again.body.Request).toMatchObject({ FaultCode: 1022, FaultString: expect.stringMatching(/stopped marketing messages/) });
  });

  it("answers 404 for another tenant's session, exactly as for an unknown one", async () => {
    const sessionId = await invite(jsonInvite({ parameters: { _umsClientId: '+15551230019' } }));
    const other = await session(sessionId, TENANT2_KEY);
    expect(other.status).toBe(404);
    expect(other.body).toEqual({ error: 'not found', code: 'not_found' });
    expect((await session('0000000000000000')).status).toBe(404);
  });

  it('masks phone numbers in user data: PhoneNumber and the channel contactIdKeys', async () => {
    const sessionId = await invite(jsonInvite({ parameters: { _umsClientId: '+15551230020' }, userData: { PhoneNumber: '+15551230020', ANI: '5551230020', Note: 'vip' } }));
    const { body } = await session(sessionId);
    expect(body.userData).toMatchObject({ PhoneNumber: '+*******0020', ANI: '******0020', Note: 'vip' });
  });

  it('DELETE terminates a session and drops its job when it was not sent yet', async () => {
    await gateway.worker!.pause();
    try {
      const sessionId = await invite(jsonInvite({ parameters: { _umsClientId: '+15551230021' } }));
      const deleted = await request(gateway.app!).delete(`/sessions/${sessionId}`).set('X-Api-Key', TENANT1_KEY);
      expect(deleted.status).toBe(200);
      expect(deleted.body).toMatchObject({ state: 'terminated', delivery: 'pending' });
      expect(await gateway.redis.exists(`${gateway.prefix}:bull:invite-delivery:${sessionId}`)).toBe(0);
    } finally {
      gateway.worker!.resume();
    }
  });

  it('keeps session records for the configured TTL (7 days by default)', async () => {
    const sessionId = await invite(jsonInvite({ parameters: { _umsClientId: '+15551230022' } }));
    const ttl = await gateway.redis.ttl(`${gateway.prefix}:session:${sessionId}`);
    expect(ttl).toBeGreaterThan(604_800 - 60);
    expect(ttl).toBeLessThanOrEqual(604_800);
  });
});

function chunkPairs(fields: string[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < fields.length; i += 2) pairs.push([fields[i]!, fields[i + 1]!]);
  return pairs;
}
