import { createHmac } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestGateway, TENANT1_KEY, testConfig, type TestGateway } from '../support/gateway.js';
import { jsonInvite } from '../support/invites.js';
import { startLoopbackServer, type LoopbackServer } from '../support/loopback.js';

const TOKEN = 'sinch-oauth-token';
const CALLBACK_SECRET = 'sinch-callback-secret';

/** A delivery report as Sinch posts it, signed the way Sinch signs callbacks. */
function signedReport(body: unknown, secret = CALLBACK_SECRET) {
  const raw = JSON.stringify(body);
  const nonce = 'nonce-1';
  const timestamp = String(Math.floor(Date.now() / 1_000));
  const signature = createHmac('sha256', secret).update(`${raw}.${nonce}.${timestamp}`).digest('base64');
  return { raw, headers: { 'x-sinch-webhook-signature': signature, 'x-sinch-webhook-signature-nonce': nonce, 'x-sinch-webhook-signature-timestamp': timestamp } };
}

describe('delivery through the Sinch Conversation API connector', () => {
  const received: Array<Record<string, any>> = [];
  const answers = new Map<string, Array<{ status: number; body: unknown }>>();
  let server: LoopbackServer;
  let gateway: TestGateway;

  beforeAll(async () => {
    // Checks path, bearer token and the documented limits, and answers with Sinch's shapes.
    server = await startLoopbackServer(async (incoming, raw, response) => {
      const json = (status: number, body: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (incoming.url !== '/v1/projects/proj-1/messages:send') return json(404, { error: { code: 404, message: 'Not Found', status: 'NOT_FOUND' } });
      if (incoming.headers.authorization !== `Bearer ${TOKEN}`) return json(401, { error: { code: 401, message: 'Unauthorized', status: 'UNAUTHENTICATED' } });
      const body = JSON.parse(raw.toString('utf8'));
      const tooLong =
        Buffer.byteLength(JSON.stringify(body.conversation_metadata ?? {})) > 2_048 || String(body.message_metadata ?? '').length > 1_024 || String(body.correlation_id ?? '').length > 128;
      if (body.app_id !== 'app-1' || tooLong) return json(400, { error: { code: 400, message: 'Invalid argument', status: 'INVALID_ARGUMENT' } });
      received.push(body);
      const identity = body.recipient.identified_by.channel_identities[0].identity;
      const answer = answers.get(identity)?.shift();
      if (answer) return json(answer.status, answer.body);
      json(200, { message_id: `01SINCH${received.length}`, accepted_time: new Date().toISOString() });
    });
    const config = testConfig();
    config.tenants[0]!.channels[0]!.connector = { kind: 'sinch', baseUrl: server.url, projectId: 'proj-1', appId: 'app-1', token: TOKEN, callbackSecret: CALLBACK_SECRET };
    gateway = await startTestGateway({ label: 'sinch', config });
  });
  afterAll(async () => {
    await gateway?.dispose();
    await server?.close();
  });

  async function invite(clientId: string, userData: Record<string, unknown> = {}) {
    const response = await request(gateway.app!).post('/esp').set('Authorization', `Bearer ${TENANT1_KEY}`).send(jsonInvite({ parameters: { _umsClientId: clientId }, userData }));
    const sessionId = response.body.Request._umsChatSessionId as string;
    return (predicate: (session: Record<string, any>) => boolean) =>
      eventually(async () => {
        const { body } = await request(gateway.app!).get(`/sessions/${sessionId}`).set('X-Api-Key', TENANT1_KEY);
        return predicate(body) ? body : undefined;
      }, 8_000);
  }

  it('sends the WhatsApp template as a Sinch channel template, with user data as conversation metadata', async () => {
    const sent = await (await invite('+15551237001'))((session) => session.delivery === 'sent');
    const body = received.find((entry) => entry.correlation_id === sent.sessionId)!;
    expect(body).toMatchObject({
      app_id: 'app-1',
      recipient: { identified_by: { channel_identities: [{ channel: 'WHATSAPP', identity: '15551237001' }] } },
      channel_priority_order: ['WHATSAPP'],
      message: {
        template_message: {
          channel_template: {
            WHATSAPP: { template_id: 'order_ready', language_code: 'en_US', parameters: { 'header[1]text': 'Ana', 'body[1]text': 'A-1042', 'body[2]text': 'Main St', 'button[0]text': 'A1042' } },
          },
        },
      },
      conversation_metadata: { GCTI_Chat_SubmitAsOutbound: 'true', LastCalledAgent_EmployeeID: 'ag7102', StoreName: 'Main St' },
      message_metadata: sent.sessionId,
    });
    expect(sent.providerMessageId).toMatch(/^01SINCH/);
  });

  it('trims user data that is over 2,048 bytes instead of failing the send', async () => {
    const sent = await (await invite('+15551237002', { Notes: 'n'.repeat(3_000) }))((session) => session.delivery === 'sent');
    const body = received.find((entry) => entry.correlation_id === sent.sessionId)!;
    expect(body.conversation_metadata).not.toHaveProperty('Notes');
    expect(body.conversation_metadata).toHaveProperty('LastCalledAgent_EmployeeID', 'ag7102');
  });

  it('a 503 is retried and a 400 fails the invite', async () => {
    answers.set('15551237003', [{ status: 503, body: { error: { code: 503, message: 'Unavailable', status: 'UNAVAILABLE' } } }]);
    expect(await (await invite('+15551237003'))((session) => session.delivery === 'sent')).toMatchObject({ attempts: 2 });
    answers.set('15551237004', [{ status: 400, body: { error: { code: 400, message: 'Invalid argument', status: 'INVALID_ARGUMENT' } } }]);
    expect(await (await invite('+15551237004'))((session) => session.state === 'failed')).toMatchObject({ attempts: 1, error: { code: 'provider_error' } });
  });

  it('signed delivery reports move delivery forward; a bad signature is 401 and changes nothing', async () => {
    const sent = await (await invite('+15551237005'))((session) => session.delivery === 'sent');
    const report = (status: string) => ({ app_id: 'app-1', message_delivery_report: { message_id: sent.providerMessageId, status, channel_identity: { channel: 'WHATSAPP', identity: '15551237005' } } });
    const post = (signed: ReturnType<typeof signedReport>) => request(gateway.app!).post('/webhooks/sinch').set('Content-Type', 'application/json').set(signed.headers).send(signed.raw);

    expect((await post(signedReport(report('READ'), 'wrong-secret'))).status).toBe(401);
    expect((await request(gateway.app!).get(`/sessions/${sent.sessionId}`).set('X-Api-Key', TENANT1_KEY)).body.delivery).toBe('sent');
    expect((await post(signedReport(report('DELIVERED')))).status).toBe(200);
    expect((await post(signedReport(report('READ')))).status).toBe(200);
    expect((await post(signedReport(report('DELIVERED')))).status).toBe(200);
    expect((await request(gateway.app!).get(`/sessions/${sent.sessionId}`).set('X-Api-Key', TENANT1_KEY)).body.delivery).toBe('read');
  });
});
