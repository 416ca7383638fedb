import { createHmac } from 'node:crypto';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sinchDeliveryReport } from '../fixtures/sinch-shapes.js';
import { FakeSinch } from '../support/fake-sinch.js';
import { APPLE_BUSINESS_ID, eventually, SAMPLE_TEMPLATES_DIR, startTestGateway, TENANT1_KEY, testConfig, type TestGateway } from '../support/gateway.js';
import { jsonInvite } from '../support/invites.js';
import { scratchDirectory } from '../support/scratch.js';

const CALLBACK_SECRET = 'sinch-callback-secret';
const OAUTH_BUSINESS_ID = '+15550003333';

/** A delivery report as Sinch posts it, signed the way Sinch signs callbacks. */
function signedReport(body: unknown, secret = CALLBACK_SECRET) {
  const raw = JSON.stringify(body);
  const nonce = 'nonce-1';
  const timestamp = String(Math.floor(Date.now() / 1_000));
  const signature = createHmac('sha256', secret).update(`${raw}.${nonce}.${timestamp}`).digest('base64');
  return { raw, headers: { 'x-sinch-webhook-signature': signature, 'x-sinch-webhook-signature-nonce': nonce, 'x-sinch-webhook-signature-timestamp': timestamp } };
}

/** The sample templates, plus WhatsApp templates with media headers, buttons, currency and date_time parameters. */
function templatesDirectory(): string {
  const directory = scratchDirectory('sinch-templates');
  cpSync(SAMPLE_TEMPLATES_DIR, directory, { recursive: true });
  const write = (name: string, content: unknown) => writeFileSync(join(directory, `${name}.json`), JSON.stringify(content));
  write('invoice_due', {
    contentType: 'notification',
    id: 'b7d1c0de@invoice_due',
    language: 'en_US',
    header: [{ type: 'image', image: { link: 'https://cdn.example.com/invoice.png' } }],
    body: [
      { type: 'text', text: '<$Contact.FirstName$>' },
      { type: 'currency', currency: { fallback_value: '$12.50', code: 'USD', amount_1000: '<$CustomProperties.Amount$>' } },
      { type: 'date_time', date_time: { fallback_value: 'May 1, 2026' } },
    ],
    buttons: [
      { sub_type: 'url', index: '0', parameters: [{ type: 'text', text: '<$CustomProperties.Track$>' }] },
      { sub_type: 'quick_reply', index: '1', parameters: [{ type: 'payload', payload: 'paid:<$Interaction.Id$>' }] },
    ],
  });
  write('statement_ready', {
    contentType: 'notification',
    id: 'b7d1c0de@statement_ready',
    language: 'en_US',
    header: [{ type: 'document', document: { link: 'https://cdn.example.com/statement.pdf', filename: 'statement.pdf' } }],
    body: [{ type: 'text', text: '<$Contact.FirstName$>' }],
  });
  return directory;
}

describe('delivery through the Sinch Conversation API connector', () => {
  const templatesDir = templatesDirectory();
  const sinch = new FakeSinch({
    projectId: 'proj-1',
    appId: 'app-1',
    token: 'sinch-fixed-token',
    keyId: 'key-id-1',
    keySecret: 'key-secret-1',
    // Every parameter each template defines, as Sinch requires them.
    templates: {
      order_ready: ['header[1]text', 'body[1]text', 'body[2]text', 'button[0]url[1]text'],
      appointment_reminder: ['body[1]text', 'body[2]text', 'body[3]text', 'button[0]quick_reply[1]payload', 'button[1]quick_reply[1]payload'],
      invoice_due: [
        'header[1]image.link',
        'body[1]text',
        'body[2]currency.fallback_value',
        'body[2]currency.code',
        'body[2]currency.amount_1000',
        'body[3]date_time.fallback_value',
        'button[0]url[1]text',
        'button[1]quick_reply[1]payload',
      ],
      statement_ready: ['header[1]document.link', 'header[1]document.filename', 'body[1]text'],
    },
  });
  let gateway: TestGateway;

  beforeAll(async () => {
    await sinch.start();
    const config = testConfig();
    const channels = config.tenants[0]!.channels;
    channels[0]!.connector = sinch.connector('token', { callbackSecret: CALLBACK_SECRET });
    channels[0]!.allowFreeText = true;
    channels[1]!.connector = sinch.connector('token');
    channels[1]!.appleInvitations = true;
    channels.push({ name: 'whatsapp-oauth', type: 'whatsapp', businessIds: [OAUTH_BUSINESS_ID], inboundRouteByCall: '1:session-WA-inbound', connector: sinch.connector('oauth') });
    gateway = await startTestGateway({ label: 'sinch', config, templatesDir });
  });
  afterAll(async () => {
    await gateway?.dispose();
    await sinch.stop();
  });

  function post(parameters: Record<string, unknown>, userData: Record<string, unknown> = {}) {
    return request(gateway.app!).post('/esp').set('Authorization', `Bearer ${TENANT1_KEY}`).send(jsonInvite({ parameters, userData }));
  }

  async function invite(clientId: string, userData: Record<string, unknown> = {}, parameters: Record<string, unknown> = {}) {
    const response = await post({ _umsClientId: clientId, ...parameters }, userData);
    expect(response.status, response.text).toBe(200);
    const sessionId = response.body.Request._umsChatSessionId as string;
    return (predicate: (session: Record<string, any>) => boolean) =>
      eventually(async () => {
        const { body } = await request(gateway.app!).get(`/sessions/${sessionId}`).set('X-Api-Key', TENANT1_KEY);
        return predicate(body) ? body : undefined;
      }, 8_000);
  }

  const sentOrFailed = (session: Record<string, any>) => session.delivery === 'sent' || session.state === 'failed';

  it('sends the WhatsApp template as a Sinch channel template, with user data as conversation metadata', async () => {
    const sent = await (await invite('+15551237001'))((session) => session.delivery === 'sent');
    const [body] = sinch.sendsTo('15551237001');
    expect(body).toMatchObject({
      app_id: 'app-1',
      recipient: { identified_by: { channel_identities: [{ channel: 'WHATSAPP', identity: '15551237001' }] } },
      channel_priority_order: ['WHATSAPP'],
      message: {
        template_message: {
          channel_template: {
            WHATSAPP: { template_id: 'order_ready', language_code: 'en_US', parameters: { 'header[1]text': 'Ana', 'body[1]text': 'A-1042', 'body[2]text': 'Main St', 'button[0]url[1]text': 'A1042' } },
          },
        },
      },
      conversation_metadata: { GCTI_Chat_SubmitAsOutbound: 'true', LastCalledAgent_EmployeeID: 'ag7102', StoreName: 'Main St' },
      message_metadata: sent.sessionId,
      correlation_id: sent.sessionId,
    });
    expect(sent.providerMessageId).toMatch(/^01FAKESINCH/);
  });

  it('quick-reply buttons go as button[n]quick_reply[1]payload', async () => {
    await (await invite('+15551237010', {}, { StandardResponseId: 'appointment_reminder' }))(sentOrFailed);
    const parameters = sinch.sendsTo('15551237010')[0]?.message.template_message?.channel_template?.WHATSAPP?.parameters;
    expect(parameters).toMatchObject({ 'button[0]quick_reply[1]payload': expect.stringMatching(/^confirm:/), 'button[1]quick_reply[1]payload': expect.stringMatching(/^reschedule:/) });
  });

  it('an image header, currency and date_time parameters, URL and quick-reply buttons all reach Sinch under its keys', async () => {
    const session = await (await invite('+15551237011', {}, { StandardResponseId: 'invoice_due', CustomProperties: { Track: 'INV-7', Amount: '12500' } }))(sentOrFailed);
    expect(session.delivery).toBe('sent');
    const parameters = sinch.sendsTo('15551237011')[0]!.message.template_message!.channel_template!.WHATSAPP!.parameters;
    expect(parameters).toEqual({
      'header[1]image.link': 'https://cdn.example.com/invoice.png',
      'body[1]text': 'Ana',
      'body[2]currency.fallback_value': '$12.50',
      'body[2]currency.code': 'USD',
      'body[2]currency.amount_1000': '12500',
      'body[3]date_time.fallback_value': 'May 1, 2026',
      'button[0]url[1]text': 'INV-7',
      'button[1]quick_reply[1]payload': `paid:${session.sessionId}`,
    });
  });

  it('a document header goes as header[1]document.link and header[1]document.filename', async () => {
    await (await invite('+15551237012', {}, { StandardResponseId: 'statement_ready' }))(sentOrFailed);
    expect(sinch.sendsTo('15551237012')[0]?.message.template_message?.channel_template?.WHATSAPP?.parameters).toEqual({
      'header[1]document.link': 'https://cdn.example.com/statement.pdf',
      'header[1]document.filename': 'statement.pdf',
      'body[1]text': 'Ana',
    });
  });

  it('a text with an attachment sends the text, then the attachment as a media_message; the first message id names the invite', async () => {
    const sent = await (await invite('+15551237013', {}, { StandardResponseId: 'welcome_text', CustomProperties: { GuideId: 'router' } }))(sentOrFailed);
    const sends = sinch.sendsTo('15551237013');
    expect(sends.map((body) => body.message)).toEqual([
      { text_message: { text: expect.stringContaining('here is the guide') } },
      { media_message: { url: 'https://cdn.example.com/guides/router.pdf', filename_override: 'setup-guide.pdf' } },
    ]);
    expect(sends.every((body) => body.correlation_id === sent.sessionId)).toBe(true);
    const first = sinch.received.find((entry) => entry.body === sends[0]);
    expect(sent.providerMessageId).toBe(first?.messageId);
  });

  it('trims user data that is over 2,048 bytes instead of failing the send', async () => {
    await (await invite('+15551237002', { Notes: 'n'.repeat(3_000) }))((session) => session.delivery === 'sent');
    const [body] = sinch.sendsTo('15551237002');
    expect(body!.conversation_metadata).not.toHaveProperty('Notes');
    expect(body!.conversation_metadata).toHaveProperty('LastCalledAgent_EmployeeID', 'ag7102');
  });

  it('a 503 is retried and a 400 fails the invite', async () => {
    sinch.program('15551237003', { status: 503, body: { error: { code: 503, message: 'Unavailable', status: 'UNAVAILABLE' } } });
    expect(await (await invite('+15551237003'))((session) => session.delivery === 'sent')).toMatchObject({ attempts: 2 });
    sinch.program('15551237004', { status: 400, body: { error: { code: 400, message: 'Invalid argument', status: 'INVALID_ARGUMENT' } } });
    expect(await (await invite('+15551237004'))((session) => session.state === 'failed')).toMatchObject({ attempts: 1, error: { code: 'provider_error' } });
  });

  describe('delivery reports', () => {
    const postReport = (signed: ReturnType<typeof signedReport>) => request(gateway.app!).post('/webhooks/sinch').set('Content-Type', 'application/json').set(signed.headers).send(signed.raw);
    const session = async (sessionId: string) => (await request(gateway.app!).get(`/sessions/${sessionId}`).set('X-Api-Key', TENANT1_KEY)).body;

    it('signed delivery reports move delivery forward; a bad signature is 401 and changes nothing', async () => {
      const sent = await (await invite('+15551237005'))((candidate) => candidate.delivery === 'sent');
      const report = (status: string) => sinchDeliveryReport('app-1', sent.providerMessageId, status, '15551237005');

      expect((await postReport(signedReport(report('READ'), 'wrong-secret'))).status).toBe(401);
      expect((await session(sent.sessionId)).delivery).toBe('sent');
      expect((await postReport(signedReport(report('DELIVERED')))).status).toBe(200);
      expect((await postReport(signedReport(report('READ')))).status).toBe(200);
      expect((await postReport(signedReport(report('DELIVERED')))).status).toBe(200);
      expect((await session(sent.sessionId)).delivery).toBe('read');
    });

    it.each([
      ['OUTSIDE_ALLOWED_SENDING_WINDOW', 'outside_window', '+15551237020'],
      ['RECIPIENT_NOT_REACHABLE', 'undeliverable', '+15551237021'],
      ['TEMPLATE_INSUFFICIENT_PARAMETERS', 'template_rejected', '+15551237022'],
      ['RATE_LIMITED', 'rate_limited', '+15551237023'],
    ] as const)('a FAILED report with reason %s is classified %s and keeps the code as providerCode', async (code, outcome, clientId) => {
      const sent = await (await invite(clientId))((candidate) => candidate.delivery === 'sent');
      const report = sinchDeliveryReport('app-1', sent.providerMessageId, 'FAILED', clientId.slice(1), { code, description: 'the channel refused it' });
      expect((await postReport(signedReport(report))).status).toBe(200);
      expect((await session(sent.sessionId)).error).toEqual({ code: outcome, providerCode: code, message: 'the channel refused it' });
    });

    it('a FAILED report with RECIPIENT_NOT_OPTED_IN suppresses the recipient, as a WhatsApp marketing opt-out does', async () => {
      const sent = await (await invite('+15551237024'))((candidate) => candidate.delivery === 'sent');
      const report = sinchDeliveryReport('app-1', sent.providerMessageId, 'FAILED', '15551237024', { code: 'RECIPIENT_NOT_OPTED_IN' });
      expect((await postReport(signedReport(report))).status).toBe(200);
      expect((await session(sent.sessionId)).error).toMatchObject({ code: 'marketing_opt_out', providerCode: 'RECIPIENT_NOT_OPTED_IN' });
      const again = await post({ _umsClientId: '+15551237024' });
      expect(again.body.Request.FaultCode).toBe(1022);
    });
  });

  describe('Apple content through Sinch (APPLEBC)', () => {
    const apple = (StandardResponseId: string, clientId = 'urn:mbid:AQAAY-sinch-1') => ({ _umsChannel: 'apple-main', _umsBusinessId: APPLE_BUSINESS_ID, _umsClientId: clientId, StandardResponseId });

    it.each([
      ['apple_list_picker', 'list picker'],
      ['apple_time_picker', 'time picker'],
      ['apple_quick_reply', 'quick reply'],
      ['apple_rich_link', 'image would be lost'],
    ])('%s is refused at the door with 1020 naming why', async (template, why) => {
      const response = await post(apple(template));
      expect(response.status).toBe(400);
      expect(response.body.Request.FaultCode).toBe(1020);
      expect(response.body.Request.FaultString).toContain('sinch connector');
      expect(response.body.Request.FaultString).toContain(why);
    });
  });

  describe('OAuth2 client credentials (keyId + keySecret)', () => {
    const oauth = (clientId: string) => ({ _umsChannel: 'whatsapp-oauth', _umsBusinessId: OAUTH_BUSINESS_ID, _umsClientId: clientId });

    it('obtains one token for concurrent sends and reuses it', async () => {
      const before = sinch.tokensIssued;
      const waits = await Promise.all(['+15551238001', '+15551238002', '+15551238003', '+15551238004'].map((clientId) => invite(clientId, {}, oauth(clientId))));
      const sessions = await Promise.all(waits.map((wait) => wait(sentOrFailed)));
      expect(sessions.map((session) => session.delivery)).toEqual(['sent', 'sent', 'sent', 'sent']);
      expect(sinch.tokensIssued - before).toBe(1);
    });

    it('a 401 renews the token once and sends again', async () => {
      await (await invite('+15551238010', {}, oauth('+15551238010')))(sentOrFailed);
      sinch.revokeIssuedTokens();
      const before = { issued: sinch.tokensIssued, refused: sinch.refusedTokens };
      const sent = await (await invite('+15551238011', {}, oauth('+15551238011')))(sentOrFailed);
      expect(sent).toMatchObject({ delivery: 'sent', attempts: 1 });
      expect({ issued: sinch.tokensIssued - before.issued, refused: sinch.refusedTokens - before.refused }).toEqual({ issued: 1, refused: 1 });
    });

    it('a second 401 after renewing stops the channel as token_expired; the invite waits and goes once resumed', async () => {
      const unauthorized = { status: 401, body: { error: { code: 401, message: 'Unauthorized', status: 'UNAUTHENTICATED' } } };
      sinch.program('15551238020', unauthorized, unauthorized);
      const held = await invite('+15551238020', {}, oauth('+15551238020'));
      const refused = await eventually(async () => {
        const response = await post(oauth('+15551238021'));
        return response.body.Request?.FaultCode === 1022 ? response : undefined;
      }, 8_000);
      expect(refused.body.Request.FaultString).toMatch(/channel whatsapp-oauth is stopped \(token_expired/);
      expect((await request(gateway.app!).post('/channels/whatsapp-oauth/resume').set('X-Api-Key', TENANT1_KEY)).status).toBe(200);
      expect(await held((session) => session.delivery === 'sent')).toMatchObject({ delivery: 'sent' });
    });
  });
});
