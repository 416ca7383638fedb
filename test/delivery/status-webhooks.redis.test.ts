import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyInviteSignature } from '../../src/connectors/signature.js';
import { eventually, startTestGateway, TENANT1_KEY, testConfig, type TestGateway } from '../support/gateway.js';
import { jsonInvite } from '../support/invites.js';
import { startLoopbackServer, type LoopbackServer } from '../support/loopback.js';

const SECRET = 'crm-hook-secret';

describe("status changes POSTed to the tenant's statusWebhook", () => {
  const events: Array<{ verified: boolean; eventIdHeader?: string; body: Record<string, any> }> = [];
  let failNext = 1;
  let server: LoopbackServer;
  let gateway: TestGateway;

  beforeAll(async () => {
    // The CRM: checks the signature, and fails the first POST to show it is retried.
    server = await startLoopbackServer(async (incoming, raw, response) => {
      if (failNext-- > 0) {
        response.writeHead(500).end();
        return;
      }
      const text = raw.toString('utf8');
      events.push({
        verified: verifyInviteSignature(incoming.headers['x-invite-signature'] as string, text, SECRET),
        eventIdHeader: incoming.headers['x-invite-event-id'] as string,
        body: JSON.parse(text),
      });
      response.writeHead(204).end();
    });
    const config = testConfig();
    config.tenants[0]!.statusWebhook = { url: `${server.url}/hooks/invites`, secret: SECRET };
    gateway = await startTestGateway({ label: 'statushook', config });
  });
  afterAll(async () => {
    await gateway?.dispose();
    await server?.close();
  });

  it('every change of state and delivery reaches the CRM, signed, retried after a failure', async () => {
    const response = await request(gateway.app!).post('/esp').set('Authorization', `Bearer ${TENANT1_KEY}`).send(jsonInvite({ parameters: { _umsClientId: '+15551236001' } }));
    const sessionId = response.body.Request._umsChatSessionId;
    // Its session changes (its conversation events are the next test's).
    const mine = () => events.filter((event) => event.body.sessionId === sessionId && event.body.event === 'session.changed');
    const seenStates = () => mine().map((event) => `${event.body.state}/${event.body.delivery}`);
    const expected = ['sending/pending', 'open/sent', 'open/delivered', 'open/read'];
    // The first POST (sending/pending) fails and is retried; under load the retry may land after read.
    await eventually(async () => (expected.every((state) => seenStates().includes(state)) ? true : undefined), 8_000, 'every change, the retried one too');

    for (const event of mine()) {
      expect(event.verified).toBe(true);
      expect(event.eventIdHeader).toBe(event.body.eventId);
      expect(event.body).toMatchObject({ event: 'session.changed', sessionId, tenant: 1, channel: 'whatsapp-main' });
    }
    expect(seenStates()).toEqual(expect.arrayContaining(expected));
    expect(new Set(mine().map((event) => event.body.eventId)).size).toBe(mine().length);
  });

  it('conversation events reach the CRM too: the customer message, the answer delivery and the end, signed, the stream id as event id', async () => {
    const response = await request(gateway.app!)
      .post('/esp')
      .set('Authorization', `Bearer ${TENANT1_KEY}`)
      .send(jsonInvite({ parameters: { _umsClientId: '+15551236002' }, userData: { SandboxReply: 'yes' } }));
    const sessionId = response.body.Request._umsChatSessionId as string;
    const conversationEvents = () => events.filter((event) => event.body.sessionId === sessionId && event.body.event !== 'session.changed');
    const received = await eventually(async () => conversationEvents().find((event) => event.body.event === 'message.received'), 8_000, 'message.received at the CRM');
    expect(received.body).toMatchObject({ tenant: 1, messageId: `${sessionId}.1`, data: { direction: 'in', text: 'yes' } });
    expect(received.verified).toBe(true);
    expect(received.eventIdHeader).toBe(received.body.eventId);
    expect(received.body.eventId).toMatch(/^1-\d+-\d+$/);

    await request(gateway.app!).delete(`/sessions/${sessionId}`).set('X-Api-Key', TENANT1_KEY);
    const ended = await eventually(async () => conversationEvents().find((event) => event.body.event === 'session.ended'), 8_000, 'session.ended at the CRM');
    expect(ended.body.data).toEqual({ reason: 'deleted', state: 'terminated' });
    expect(conversationEvents().some((event) => event.body.event === 'message.status' && event.body.messageId === `${sessionId}.0`)).toBe(true);
  });
});
