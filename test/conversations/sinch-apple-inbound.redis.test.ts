import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sinchInbound } from '../fixtures/sinch-inbound.js';
import { appleSecret, postApple, postSinch, sinchAppId, sinchSecret, startWebhookTestBed, tenantKey, type WebhookTestBed } from '../support/provider-webhooks.js';

/** Customer messages through Sinch (`MESSAGE_INBOUND`) and an Apple MSP (`type: "message"`). */
describe('customer messages from Sinch and Apple reach their conversation', () => {
  let bed: WebhookTestBed;
  beforeAll(async () => {
    bed = await startWebhookTestBed('sinch-apple-inbound');
  });
  afterAll(async () => {
    await bed?.close();
  });

  const messagesOf = async (tenant: 7 | 9, sessionId: string) => (await request(bed.app).get(`/sessions/${sessionId}/messages`).set('X-Api-Key', tenantKey(tenant))).body.messages;

  it('Sinch text, choice, media and location messages land on the session they reply to', async () => {
    const invite = await bed.inviteSent(7, 'sinch', '+15551237101');
    const replyTo = { reply_to: { message_id: invite.providerMessageId } };
    const contents = [
      { ...replyTo, text_message: { text: 'see you at 10' } },
      { choice_response_message: { message_id: invite.providerMessageId, postback_data: 'CONFIRM' } },
      { media_message: { url: 'https://media.example/receipt.jpg', filename_override: 'receipt.jpg' } },
      { location_message: { coordinates: { latitude: 38.72, longitude: -9.14 }, title: 'Main St store' } },
    ];
    for (const [i, content] of contents.entries()) {
      const answer = await postSinch(bed.app, sinchInbound(sinchAppId(7), '15551237101', `01SINCHIN${i}`, content), sinchSecret(7));
      expect(answer.body).toMatchObject({ applied: 1 });
    }
    const messages = await messagesOf(7, invite.sessionId);
    expect(messages.map((message: { kind: string }) => message.kind)).toEqual(['template', 'text', 'interactive', 'media', 'location']);
    expect(messages[1]).toMatchObject({ text: 'see you at 10', replyTo: invite.providerMessageId });
    expect(messages[2]).toMatchObject({ payload: 'CONFIRM' });
    expect(messages[3]).toMatchObject({ media: { url: 'https://media.example/receipt.jpg', filename: 'receipt.jpg' } });
  });

  it('a Sinch message carrying the correlation_id of an earlier invite lands on that session, not the newest', async () => {
    const earlier = await bed.inviteSent(7, 'sinch', '+15551237103');
    const newest = await bed.inviteSent(7, 'sinch', '+15551237103');
    const correlated = { ...sinchInbound(sinchAppId(7), '15551237103', '01SINCHCORR', { text_message: { text: 'about the first one' } }), correlation_id: earlier.sessionId };
    expect((await postSinch(bed.app, correlated, sinchSecret(7))).body).toMatchObject({ applied: 1 });
    expect(await messagesOf(7, earlier.sessionId)).toHaveLength(2);
    expect(await messagesOf(7, newest.sessionId)).toHaveLength(1);
  });

  it('a Sinch message signed by another tenant, naming this tenant app, changes nothing', async () => {
    const invite = await bed.inviteSent(7, 'sinch', '+15551237102');
    const forged = sinchInbound(sinchAppId(7), '15551237102', '01SINCHFORGED', { reply_to: { message_id: invite.providerMessageId }, text_message: { text: 'forged' } });
    expect((await postSinch(bed.app, forged, sinchSecret(9))).body).toMatchObject({ applied: 0, unknown: 1 });
    expect(await messagesOf(7, invite.sessionId)).toHaveLength(1);
  });

  it('an Apple message lands on the customer open session; one to another business id is not recorded', async () => {
    const invite = await bed.inviteSent(7, 'apple', 'urn:mbid:customer-7103');
    const message = { type: 'message', id: 'apple-in-7103', sourceId: 'urn:mbid:customer-7103', destinationId: 'apple-business-7', body: 'Friday works' };
    expect((await postApple(bed.app, message, appleSecret(7))).body).toMatchObject({ applied: 1 });
    expect((await postApple(bed.app, { ...message, id: 'apple-in-7103b', destinationId: 'apple-business-9' }, appleSecret(7))).body).toMatchObject({ unknown: 1 });
    expect((await postApple(bed.app, { ...message, id: 'apple-in-7103c', sourceId: 5 }, appleSecret(7))).status).toBe(400);
    const messages = await messagesOf(7, invite.sessionId);
    expect(messages.map((entry: { direction: string; text?: string }) => [entry.direction, entry.text ?? null])).toEqual([['out', null], ['in', 'Friday works']]);
  });
});
