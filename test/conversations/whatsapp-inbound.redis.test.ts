import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/gateway.js';
import { jsonInvite } from '../support/invites.js';
import { phoneNumberId, postWhatsApp, startWebhookTestBed, tenantKey, waSecret, type WebhookTestBed } from '../support/provider-webhooks.js';
import { everyMessageType, whatsappMessages } from '../fixtures/whatsapp-inbound.js';

/** Customer messages on /webhooks/whatsapp, shaped as Meta posts them (test/fixtures/whatsapp-inbound.ts). */
describe('customer messages from WhatsApp reach their conversation', () => {
  let bed: WebhookTestBed;
  beforeAll(async () => {
    bed = await startWebhookTestBed('wa-inbound');
  });
  afterAll(async () => {
    await bed?.close();
  });

  const messagesOf = async (tenant: 7 | 9, sessionId: string) => (await request(bed.app).get(`/sessions/${sessionId}/messages`).set('X-Api-Key', tenantKey(tenant))).body;

  it('every message type lands on the invite session it answers, in order, after the invite', async () => {
    const invite = await bed.inviteSent(7, 'wa', '+15551237001');
    const payload = whatsappMessages(phoneNumberId(7), '15551237001', everyMessageType('wamid.T7001', invite.providerMessageId));
    const answer = await postWhatsApp(bed.app, payload, waSecret(7));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ received: 10, applied: 10 });

    const transcript = await messagesOf(7, invite.sessionId);
    expect(transcript.next).toBeNull();
    expect(transcript.messages.map((message: { direction: string; kind: string }) => `${message.direction}:${message.kind}`)).toEqual([
      'out:template', 'in:text', 'in:button', 'in:interactive', 'in:interactive', 'in:media', 'in:media', 'in:media', 'in:location', 'in:contacts', 'in:reaction',
    ]);
    const [inviteMessage, text, button, buttonReply, listReply, image, document] = transcript.messages;
    expect(inviteMessage).toMatchObject({ author: 'invite', providerMessageId: invite.providerMessageId, delivery: 'sent' });
    expect(text).toMatchObject({ text: 'Yes, I will pick it up today', replyTo: invite.providerMessageId, providerMessageId: 'wamid.T7001.text' });
    expect(button).toMatchObject({ text: 'Pick up today', payload: 'PICKUP_TODAY' });
    expect(buttonReply).toMatchObject({ text: 'Change', payload: 'change-slot' });
    expect(listReply).toMatchObject({ text: 'Friday 10:00', payload: 'slot-3' });
    expect(image).toMatchObject({ media: { id: '1479537139650973', mimeType: 'image/jpeg', caption: 'my receipt' } });
    expect(document).toMatchObject({ media: { filename: 'invoice.pdf', mimeType: 'application/pdf' } });
    expect(transcript.messages.at(-1)).toMatchObject({ kind: 'reaction', payload: '\u{1F44D}', replyTo: invite.providerMessageId });

    const view = await bed.session(7, invite.sessionId);
    expect(view).toMatchObject({ engaged: true, messages: 11, customerName: 'Ana Silva', state: 'open' });
    expect(Date.parse(view.lastInboundAt)).toBeGreaterThan(0);
    expect(Date.parse(view.lastOutboundAt)).toBeGreaterThan(0);
  });

  it('a message delivered twice is recorded once', async () => {
    const invite = await bed.inviteSent(7, 'wa', '+15551237002');
    const payload = whatsappMessages(phoneNumberId(7), '15551237002', [{ id: 'wamid.T7002.twice', type: 'text', text: { body: 'twice' } }]);
    expect((await postWhatsApp(bed.app, payload, waSecret(7))).body).toMatchObject({ applied: 1, duplicates: 0 });
    expect((await postWhatsApp(bed.app, payload, waSecret(7))).body).toMatchObject({ applied: 0, duplicates: 1 });
    expect((await messagesOf(7, invite.sessionId)).messages).toHaveLength(2);
  });

  it('a reply after a terminated notification opens a new Inbound session in the channel inbound queue', async () => {
    const parameters = { _umsChannel: 'wa-7', _umsBusinessId: '+15550007001', _umsClientId: '+15551237003', StandardResponseId: 'order_ready', TerminateSessionFlag: 'true' };
    const answer = await request(bed.app).post('/esp').set('X-Api-Key', tenantKey(7)).send(jsonInvite({ parameters }));
    const notificationId = answer.body.Request._umsChatSessionId as string;
    const notification = await eventually(async () => {
      const view = await bed.session(7, notificationId);
      return view.delivery === 'sent' ? view : undefined;
    }, 8_000, 'the notification sent');
    expect(notification.state).toBe('terminated');

    const reply = whatsappMessages(phoneNumberId(7), '15551237003', [{ id: 'wamid.T7003.reply', type: 'text', text: { body: 'what is this about?' }, context: { from: '15550007001', id: notification.providerMessageId } }]);
    expect((await postWhatsApp(bed.app, reply, waSecret(7))).body).toMatchObject({ applied: 1 });
    expect((await messagesOf(7, notificationId)).messages).toHaveLength(1);

    const redis = bed.gateway.redis;
    const inbound = await redis.xrange(`${bed.gateway.prefix}:chatqueue:7:session-inbound`, '-', '+');
    // Opened invites are placed there too (their ChatQueueKey defaults to it): the customer's session is the InboundNew one.
    const customerOpened = inbound.map(([, fields]) => fields).filter((fields) => fields[fields.indexOf('subtype') + 1] === 'InboundNew');
    const sessionIds = customerOpened.map((fields) => fields[fields.indexOf('sessionId') + 1]!);
    expect(sessionIds).toHaveLength(1);
    const opened = await bed.session(7, sessionIds[0]!);
    expect(opened).toMatchObject({ type: 'Inbound', subtype: 'InboundNew', state: 'open', delivery: 'none', chatQueueKey: '7:session-inbound', clientId: '+*******7003', engaged: true });
    expect((await messagesOf(7, opened.sessionId)).messages).toMatchObject([{ direction: 'in', text: 'what is this about?' }]);
  });

  it('a message signed with another tenant secret, naming this tenant number, changes nothing', async () => {
    const invite = await bed.inviteSent(7, 'wa', '+15551237004');
    const forged = whatsappMessages(phoneNumberId(7), '15551237004', [{ id: 'wamid.T7004.forged', type: 'text', text: { body: 'forged' }, context: { from: '15550007001', id: invite.providerMessageId } }]);
    expect((await postWhatsApp(bed.app, forged, waSecret(9))).body).toMatchObject({ applied: 0, unknown: 1 });
    expect((await postWhatsApp(bed.app, forged, 'not-a-secret')).status).toBe(401);
    expect((await messagesOf(7, invite.sessionId)).messages).toHaveLength(1);
    expect((await bed.session(7, invite.sessionId)).engaged).toBe(false);
  });

  it('the transcript is shown to the session tenant only, and pages with a cursor', async () => {
    const invite = await bed.inviteSent(7, 'wa', '+15551237005');
    const messages = Array.from({ length: 5 }, (_, i) => ({ id: `wamid.T7005.${i}`, type: 'text', text: { body: `part ${i}` } }));
    await postWhatsApp(bed.app, whatsappMessages(phoneNumberId(7), '15551237005', messages), waSecret(7));
    expect((await request(bed.app).get(`/sessions/${invite.sessionId}/messages`).set('X-Api-Key', tenantKey(9))).status).toBe(404);
    expect((await request(bed.app).get(`/sessions/${invite.sessionId}/messages?limit=0`).set('X-Api-Key', tenantKey(7))).status).toBe(400);
    const first = (await request(bed.app).get(`/sessions/${invite.sessionId}/messages?limit=4`).set('X-Api-Key', tenantKey(7))).body;
    expect(first.messages).toHaveLength(4);
    const rest = (await request(bed.app).get(`/sessions/${invite.sessionId}/messages?limit=4&after=${first.next}`).set('X-Api-Key', tenantKey(7))).body;
    expect(rest.messages.map((message: { text: string }) => message.text)).toEqual(['part 3', 'part 4']);
    expect(rest.next).toBeNull();
  });
});
