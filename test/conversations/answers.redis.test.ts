import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whatsappMessages } from '../fixtures/whatsapp-inbound.js';
import { eventually } from '../support/gateway.js';
import { jsonInvite } from '../support/invites.js';
import { phoneNumberId, postWhatsApp, startWebhookTestBed, tenantKey, waSecret, whatsappStatuses, type WebhookTestBed } from '../support/provider-webhooks.js';

/** Agents answer inside the conversation: POST /sessions/:id/messages, sent through the delivery queue. */
describe('agents answer inside the conversation', () => {
  let bed: WebhookTestBed;
  beforeAll(async () => {
    bed = await startWebhookTestBed('answers');
  });
  afterAll(async () => {
    await bed?.close();
  });

  const answer = (tenant: 7 | 9, sessionId: string, body: unknown) => request(bed.app).post(`/sessions/${sessionId}/messages`).set('X-Api-Key', tenantKey(tenant)).send(body as object);
  const transcript = async (sessionId: string) => (await request(bed.app).get(`/sessions/${sessionId}/messages`).set('X-Api-Key', tenantKey(7))).body.messages as Array<Record<string, any>>;
  const customerWrites = (clientDigits: string, id: string) =>
    postWhatsApp(bed.app, whatsappMessages(phoneNumberId(7), clientDigits, [{ id, type: 'text', text: { body: 'can I change the time?' } }]), waSecret(7));

  it('inside the WhatsApp window a text answer is sent, and its status reports move it to read', async () => {
    const invite = await bed.inviteSent(7, 'wa', '+15551237201');
    await customerWrites('15551237201', 'wamid.T7201.in');
    const sent = await answer(7, invite.sessionId, { text: 'Of course: which day suits you?', author: 'agent-7102' });
    expect(sent.status).toBe(202);
    expect(sent.body.messageId).toBe(`${invite.sessionId}.2`);

    const delivered = await eventually(async () => {
      const entry = (await transcript(invite.sessionId)).find((message) => message.id === sent.body.messageId);
      return entry?.delivery === 'sent' ? entry : undefined;
    }, 8_000, 'the answer to be sent');
    expect(delivered).toMatchObject({ direction: 'out', kind: 'text', text: 'Of course: which day suits you?', author: 'agent-7102' });
    const toCustomer = bed.whatsapp.sendsTo('+15551237201').map((send) => send.body);
    expect(toCustomer.at(-1)).toMatchObject({ type: 'text', text: { body: 'Of course: which day suits you?' } });

    expect((await postWhatsApp(bed.app, whatsappStatuses(phoneNumberId(7), [{ id: delivered.providerMessageId, status: 'read' }]), waSecret(7))).body).toMatchObject({ applied: 1 });
    expect((await transcript(invite.sessionId)).find((message) => message.id === sent.body.messageId)).toMatchObject({ delivery: 'read' });
    // The invite's own delivery is its own: the answer's report did not touch it.
    expect((await bed.session(7, invite.sessionId)).delivery).toBe('sent');
    const events = await bed.gateway.redis.xrange(`${bed.gateway.prefix}:events:7`, '-', '+');
    const statuses = events.map(([, fields]) => fields).filter((fields) => fields[fields.indexOf('event') + 1] === 'message.status' && fields[fields.indexOf('messageId') + 1] === sent.body.messageId);
    expect(statuses.map((fields) => JSON.parse(fields[fields.indexOf('data') + 1]!).delivery)).toEqual(['sent', 'read']);
  });

  it('outside the window free text is refused with 409 naming it, and a template answer goes through', async () => {
    const invite = await bed.inviteSent(7, 'wa', '+15551237202');
    const refused = await answer(7, invite.sessionId, { text: 'hello?' });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/24 h customer-service window/);
    expect((await transcript(invite.sessionId)).length).toBe(1);

    const template = await answer(7, invite.sessionId, { standardResponseId: 'order_ready', Contact: { FirstName: 'Ana' }, CustomProperties: { OrderId: 'A-7202', Track: 'T7202' } });
    expect(template.status).toBe(202);
    await eventually(async () => ((await transcript(invite.sessionId)).at(-1)?.delivery === 'sent' ? true : undefined), 8_000, 'the template answer sent');
    expect(bed.whatsapp.sendsTo('+15551237202').at(-1)?.body).toMatchObject({ type: 'template' });
  });

  it('a terminated session refuses answers (409), another tenant sees none (404), a bad body is 400 naming the field', async () => {
    const parameters = { _umsChannel: 'wa-7', _umsBusinessId: '+15550007001', _umsClientId: '+15551237203', StandardResponseId: 'order_ready', TerminateSessionFlag: 'true' };
    const created = await request(bed.app).post('/esp').set('X-Api-Key', tenantKey(7)).send(jsonInvite({ parameters }));
    const sessionId = created.body.Request._umsChatSessionId as string;
    await eventually(async () => ((await bed.session(7, sessionId)).state === 'terminated' ? true : undefined), 8_000, 'the notification terminated');
    expect((await answer(7, sessionId, { standardResponseId: 'order_ready' })).status).toBe(409);

    const open = await bed.inviteSent(7, 'wa', '+15551237204');
    expect((await answer(9, open.sessionId, { text: 'not yours' })).status).toBe(404);
    const bad = await answer(7, open.sessionId, { text: '' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/text/);
    const unknownTemplate = await answer(7, open.sessionId, { standardResponseId: 'no_such_template' });
    expect([unknownTemplate.status, unknownTemplate.body.error]).toEqual([400, expect.stringMatching(/no_such_template/)]);
    const missingField = await answer(7, open.sessionId, { standardResponseId: 'order_ready' });
    expect([missingField.status, missingField.body.error]).toEqual([400, expect.stringMatching(/has no value/)]);
    expect((await transcript(open.sessionId)).length).toBe(1);
  });
});
