import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyInviteSignature } from '../../src/connectors/signature.js';
import { eventually, startTestGateway, TENANT1_KEY, testConfig, type TestGateway } from '../support/gateway.js';
import { jsonInvite } from '../support/invites.js';
import { startLoopbackServer, type LoopbackServer } from '../support/loopback.js';

const SECRET = 'contact-center-sender-secret';

interface Received {
  at: number;
  verified: boolean;
  eventId: string | undefined;
  body: Record<string, any>;
}

describe('delivery through the signed webhook connector', () => {
  const received: Received[] = [];
  const answers: Array<{ status: number; retryAfter?: string }> = [];
  let server: LoopbackServer;
  let gateway: TestGateway;

  beforeAll(async () => {
    // The contact center's own sender: it checks the signature the way a receiver should.
    server = await startLoopbackServer(async (incoming, raw, response) => {
      const text = raw.toString('utf8');
      received.push({
        at: Date.now(),
        verified: verifyInviteSignature(incoming.headers['x-invite-signature'] as string | undefined, text, SECRET),
        eventId: incoming.headers['x-invite-event-id'] as string | undefined,
        body: JSON.parse(text),
      });
      const answer = answers.shift() ?? { status: 202 };
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (answer.retryAfter) headers['retry-after'] = answer.retryAfter;
      response.writeHead(answer.status, headers).end(JSON.stringify(answer.status < 300 ? { id: `cc-${received.length}` } : { error: 'busy' }));
    });
    const url = `${server.url}/send`;
    // maxDelayMs above the Retry-After used below: the delay is capped by it.
    const config = testConfig({ retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 2_000 } });
    config.tenants[0]!.channels[0]!.connector = { kind: 'webhook', url, secret: SECRET };
    gateway = await startTestGateway({ label: 'webhook', config });
  });
  afterAll(async () => {
    await gateway?.dispose();
    await server?.close();
  });

  async function inviteAndWait(clientId: string, predicate: (session: Record<string, any>) => boolean) {
    const response = await request(gateway.app!).post('/esp').set('Authorization', `Bearer ${TENANT1_KEY}`).send(jsonInvite({ parameters: { _umsClientId: clientId } }));
    const sessionId = response.body.Request._umsChatSessionId as string;
    return eventually(async () => {
      const { body } = await request(gateway.app!).get(`/sessions/${sessionId}`).set('X-Api-Key', TENANT1_KEY);
      return predicate(body) ? body : undefined;
    }, 8_000);
  }

  it('POSTs the rendered message and the session, signed, and takes the answer id as provider message id', async () => {
    const session = await inviteAndWait('+15551235001', (body) => body.delivery === 'sent');
    const delivery = received.find((entry) => entry.body.clientId === '+15551235001')!;
    expect(delivery.verified).toBe(true);
    expect(delivery.eventId).toBe(session.sessionId);
    expect(delivery.body).toMatchObject({ event: 'invite.send', sessionId: session.sessionId, channel: 'whatsapp-main', standardResponseId: 'order_ready', messages: [{ type: 'template' }] });
    expect(session.providerMessageId).toMatch(/^cc-\d+$/);
  });

  it('a 503 with Retry-After is retried after it; a 400 fails the invite', async () => {
    answers.push({ status: 503, retryAfter: '1' });
    const retried = await inviteAndWait('+15551235002', (body) => body.delivery === 'sent');
    const attempts = received.filter((entry) => entry.body.clientId === '+15551235002');
    expect(retried.attempts).toBe(2);
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(950);

    answers.push({ status: 400 });
    const failed = await inviteAndWait('+15551235003', (body) => body.state === 'failed');
    expect(failed).toMatchObject({ attempts: 1, error: { code: 'provider_error', providerCode: null, message: 'webhook answered HTTP 400' } });
  });
});
