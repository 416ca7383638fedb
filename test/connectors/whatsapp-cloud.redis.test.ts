import { createHmac } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestGateway, TENANT1_KEY, testConfig, type TestGateway } from '../support/gateway.js';
import { FakeWhatsApp } from '../support/fake-whatsapp.js';
import { jsonInvite } from '../support/invites.js';
import { whatsappStatuses } from '../support/provider-webhooks.js';

const TOKEN = 'test-wa-token';
const APP_SECRET = 'test-app-secret';
const VERIFY_TOKEN = 'test-verify-token';
const PHONE_NUMBER_ID = '109876543210';

describe('delivery through the WhatsApp Cloud API connector', () => {
  const fake = new FakeWhatsApp(TOKEN);
  let gateway: TestGateway;

  beforeAll(async () => {
    await fake.start();
    const config = testConfig({ retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 2_000 } });
    config.tenants[0]!.channels[0]!.connector = { ...fake.connector(PHONE_NUMBER_ID), appSecret: APP_SECRET, verifyToken: VERIFY_TOKEN };
    gateway = await startTestGateway({ label: 'wacloud', config });
  });
  afterAll(async () => {
    await gateway?.dispose();
    await fake.stop();
  });

  async function invite(clientId: string): Promise<string> {
    const response = await request(gateway.app!).post('/esp').set('Authorization', `Bearer ${TENANT1_KEY}`).send(jsonInvite({ parameters: { _umsClientId: clientId } }));
    expect(response.status, response.text).toBe(200);
    return response.body.Request._umsChatSessionId;
  }

  const sessionWhen = (sessionId: string, predicate: (session: Record<string, any>) => boolean) =>
    eventually(async () => {
      const { body } = await request(gateway.app!).get(`/sessions/${sessionId}`).set('X-Api-Key', TENANT1_KEY);
      return predicate(body) ? body : undefined;
    }, 8_000, `session ${sessionId}`);

  function signedPost(payload: unknown, secret = APP_SECRET) {
    const body = JSON.stringify(payload);
    const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    return request(gateway.app!).post('/webhooks/whatsapp').set('Content-Type', 'application/json').set('X-Hub-Signature-256', signature).send(body);
  }

  const statusPayload = (wamid: string, status: string, errors?: unknown[]) => whatsappStatuses(PHONE_NUMBER_ID, [{ id: wamid, status, ...(errors ? { errors } : {}) }]);

  it('posts the template body with the bearer token to the phone number id, and keeps the wamid', async () => {
    const sessionId = await invite('+15551234001');
    const sent = await sessionWhen(sessionId, (session) => session.delivery === 'sent');
    const [send] = fake.sendsTo('+15551234001');
    expect(send).toMatchObject({ phoneNumberId: PHONE_NUMBER_ID, body: { type: 'template', template: { name: 'order_ready', language: { code: 'en_US' } } } });
    expect(sent).toMatchObject({ state: 'open', providerMessageId: send!.wamid, attempts: 1 });
  });

  it("a throughput limit is retried after the provider's Retry-After, then sent", async () => {
    fake.program('+15551234005', { kind: 'error', httpStatus: 429, code: 130429, retryAfterSeconds: 1 });
    const sessionId = await invite('+15551234005');
    const sent = await sessionWhen(sessionId, (session) => session.delivery === 'sent');
    const [first, second] = fake.sendsTo('+15551234005');
    expect(sent.attempts).toBe(2);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
  });

  it('an HTTP 5xx without a WhatsApp error is retried with backoff', async () => {
    fake.program('+15551234006', { kind: 'http', httpStatus: 502, text: '<html>Bad gateway</html>' });
    const sessionId = await invite('+15551234006');
    expect(await sessionWhen(sessionId, (session) => session.delivery === 'sent')).toMatchObject({ attempts: 2, error: null });
  });

  it('a transient error that never clears fails after the configured attempts', async () => {
    fake.program('+15551234007', ...Array.from({ length: 3 }, () => ({ kind: 'error' as const, httpStatus: 500, code: 131000 })));
    const sessionId = await invite('+15551234007');
    expect(await sessionWhen(sessionId, (session) => session.state === 'failed')).toMatchObject({ attempts: 3, error: { code: 'transient', providerCode: 131000 } });
  });

  // Every row of the outcome table (docs/protocol.md#delivery-and-outcomes), driven by the fake's answer.
  const RETRIED: Array<[number, string]> = [
    [4, 'rate_limited'],
    [80007, 'rate_limited'],
    [130429, 'rate_limited'],
    [131056, 'pair_rate_limited'],
    [131057, 'transient'],
    [131000, 'transient'],
  ];
  const PERMANENT: Array<[number, string]> = [
    [131026, 'undeliverable'],
    [131047, 'outside_window'],
    [131049, 'ecosystem_protection'],
    [131050, 'marketing_opt_out'],
    ...[132000, 132001, 132005, 132007, 132012, 132015, 132016, 132018, 100, 131008, 131009].map((code) => [code, 'template_rejected'] as [number, string]),
  ];
  const ACCOUNT_BLOCKED = [131031, 131042, 131048, 368];

  const resumeChannel = () => request(gateway.app!).post('/channels/whatsapp-main/resume').set('X-Api-Key', TENANT1_KEY);

  it.each(RETRIED)('WhatsApp error %i (%s) is retried, and the next attempt is sent', async (code) => {
    const to = `+1555124${String(code).padStart(6, '0').slice(-4)}`;
    fake.program(to, { kind: 'error', httpStatus: 400, code });
    const sessionId = await invite(to);
    expect(await sessionWhen(sessionId, (session) => session.delivery === 'sent')).toMatchObject({ attempts: 2, error: null });
  });

  it.each(PERMANENT)('WhatsApp error %i fails the invite at once as %s', async (code, outcome) => {
    const to = `+1555125${String(code).padStart(6, '0').slice(-4)}${code < 1000 ? '9' : ''}`;
    fake.program(to, { kind: 'error', httpStatus: 400, code });
    const sessionId = await invite(to);
    expect(await sessionWhen(sessionId, (session) => session.state === 'failed')).toMatchObject({ delivery: 'failed', attempts: 1, error: { code: outcome, providerCode: code } });
    expect(fake.sendsTo(to)).toHaveLength(1);
  });

  it.each(ACCOUNT_BLOCKED)('WhatsApp error %i fails the invite as account_blocked and stops the channel until resumed', async (code) => {
    const to = `+1555126${String(code).padStart(6, '0').slice(-4)}`;
    fake.program(to, { kind: 'error', httpStatus: 400, code });
    const sessionId = await invite(to);
    expect(await sessionWhen(sessionId, (session) => session.state === 'failed')).toMatchObject({ attempts: 1, error: { code: 'account_blocked', providerCode: code } });
    const refused = await request(gateway.app!).post('/esp').set('Authorization', `Bearer ${TENANT1_KEY}`).send(jsonInvite({ parameters: { _umsClientId: '+15551269999' } }));
    expect(refused.body.Request.FaultCode).toBe(1022);
    expect((await resumeChannel()).body.resumed).toBe(true);
  });

  it('WhatsApp error 190 (token expired) holds the invite instead of failing it, and stops the channel', async () => {
    fake.program('+15551270190', { kind: 'error', httpStatus: 401, code: 190 });
    const sessionId = await invite('+15551270190');
    await eventually(async () => ((await resumeChannel()).body.resumed ? true : undefined), 5_000, 'the channel to stop');
    // Resumed (as after a credentials fix): the held invite goes out on its next look.
    expect(await sessionWhen(sessionId, (session) => session.delivery === 'sent')).toMatchObject({ state: 'open', error: null });
    expect(fake.sendsTo('+15551270190')).toHaveLength(2);
  });

  it('answers the webhook verification handshake only with the configured verify token', async () => {
    const ok = await request(gateway.app!).get('/webhooks/whatsapp').query({ 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '1158201444' });
    expect([ok.status, ok.text]).toEqual([200, '1158201444']);
    const bad = await request(gateway.app!).get('/webhooks/whatsapp').query({ 'hub.mode': 'subscribe', 'hub.verify_token': 'guess', 'hub.challenge': 'x' });
    expect(bad.status).toBe(403);
  });

  it('status webhooks move delivery forward; a bad signature is 401 and changes nothing; a late delivered never undoes read', async () => {
    const sessionId = await invite('+15551234008');
    await sessionWhen(sessionId, (session) => session.delivery === 'sent');
    const wamid = fake.sendsTo('+15551234008')[0]!.wamid!;

    const forged = await signedPost(statusPayload(wamid, 'read'), 'not-the-app-secret');
    expect(forged.status).toBe(401);
    expect((await sessionWhen(sessionId, () => true)).delivery).toBe('sent');

    expect((await signedPost(statusPayload(wamid, 'read'))).status).toBe(200);
    expect((await signedPost(statusPayload(wamid, 'delivered'))).status).toBe(200);
    const read = await sessionWhen(sessionId, () => true);
    expect(read.delivery).toBe('read');
    expect(read.history.map((entry: { event: string }) => entry.event)).not.toContain('delivery:delivered');
  });

  it('a failed status with 131050 fails the delivery and suppresses the recipient (1022 next time)', async () => {
    const sessionId = await invite('+15551234009');
    await sessionWhen(sessionId, (session) => session.delivery === 'sent');
    const wamid = fake.sendsTo('+15551234009')[0]!.wamid!;
    await signedPost(statusPayload(wamid, 'failed', [{ code: 131050, title: 'User stopped marketing messages' }]));
    expect(await sessionWhen(sessionId, (session) => session.delivery === 'failed')).toMatchObject({ error: { code: 'marketing_opt_out', providerCode: 131050 } });
    const again = await request(gateway.app!).post('/esp').set('Authorization', `Bearer ${TENANT1_KEY}`).send(jsonInvite({ parameters: { _umsClientId: '+15551234009' } }));
    expect(again.body.Request.FaultCode).toBe(1022);
  });

  it("a failed status keeps Meta's error_data.details in the session's error message", async () => {
    const sessionId = await invite('+15551234010');
    await sessionWhen(sessionId, (session) => session.delivery === 'sent');
    const wamid = fake.sendsTo('+15551234010')[0]!.wamid!;
    const details = 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.';
    await signedPost(statusPayload(wamid, 'failed', [{ code: 131047, title: 'Re-engagement message', message: 'Re-engagement message', error_data: { details } }]));
    const failed = await sessionWhen(sessionId, (session) => session.delivery === 'failed');
    expect(failed.error).toMatchObject({ providerCode: 131047, message: `Re-engagement message: ${details}` });
  });

});
