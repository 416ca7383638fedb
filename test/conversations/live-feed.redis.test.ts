import type { Server } from 'node:http';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whatsappMessages } from '../fixtures/whatsapp-inbound.js';
import { eventually } from '../support/gateway.js';
import { phoneNumberId, postWhatsApp, startWebhookTestBed, tenantKey, waSecret, type WebhookTestBed } from '../support/provider-webhooks.js';

interface FeedEvent {
  id: string;
  event: string;
  data: { event: string; sessionId: string; messageId?: string; data: Record<string, unknown> };
}

/** Reads a Server-Sent Events feed over real HTTP, collecting its events until `stop`. */
function openFeed(url: string, headers: Record<string, string>) {
  const events: FeedEvent[] = [];
  const controller = new AbortController();
  const done = (async () => {
    const response = await fetch(url, { headers, signal: controller.signal });
    if (!response.ok || !response.body) throw new Error(`feed answered ${response.status}`);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const field = (name: string) => block.split('\n').find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2);
        const data = field('data');
        if (data) events.push({ id: field('id')!, event: field('event')!, data: JSON.parse(data) });
      }
    }
  })().catch((error: Error) => {
    if (error.name !== 'AbortError') throw error;
  });
  return { events, stop: async () => (controller.abort(), done) };
}

describe('the live feed of a session (Server-Sent Events)', () => {
  let bed: WebhookTestBed;
  let server: Server;
  let base: string;
  beforeAll(async () => {
    bed = await startWebhookTestBed('live-feed');
    server = await new Promise<Server>((resolve) => {
      const listening = bed.app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    server?.closeAllConnections();
    await bed?.close();
  });

  it('shows the customer message, the answer delivery changes and the end, and resumes after a reconnect', async () => {
    const invite = await bed.inviteSent(7, 'wa', '+15551239001');
    const headers = { 'X-Api-Key': tenantKey(7) };
    const feed = openFeed(`${base}/sessions/${invite.sessionId}/events`, headers);
    await postWhatsApp(bed.app, whatsappMessages(phoneNumberId(7), '15551239001', [{ id: 'wamid.FEED1', type: 'text', text: { body: 'is it ready?' } }]), waSecret(7));
    const received = await eventually(async () => feed.events.find((event) => event.event === 'message.received'), 8_000, 'message.received on the feed');
    expect(received.data).toMatchObject({ sessionId: invite.sessionId, messageId: `${invite.sessionId}.1`, data: { direction: 'in', text: 'is it ready?' } });
    // The invite's own send came first: the feed starts with what the session's stream holds.
    expect(feed.events[0]).toMatchObject({ event: 'message.status', data: { messageId: `${invite.sessionId}.0`, data: { delivery: 'sent' } } });
    await feed.stop();

    // While no one listens, an agent answers and the session is ended.
    const answer = await request(bed.app).post(`/sessions/${invite.sessionId}/messages`).set(headers).send({ text: 'Yes, since 9:00' });
    expect(answer.status).toBe(202);
    await eventually(async () => (bed.whatsapp.sendsTo('+15551239001').length === 2 ? true : undefined), 8_000, 'the answer sent');
    expect((await request(bed.app).delete(`/sessions/${invite.sessionId}`).set(headers)).status).toBe(200);

    // A reconnect with Last-Event-ID gets exactly what came after.
    const resumed = openFeed(`${base}/sessions/${invite.sessionId}/events`, { ...headers, 'Last-Event-ID': received.id });
    await eventually(async () => (resumed.events.some((event) => event.event === 'session.ended') ? true : undefined), 8_000, 'session.ended after the reconnect');
    await resumed.stop();
    expect(resumed.events.map((event) => [event.event, event.data.messageId ?? null, (event.data.data as { delivery?: string; reason?: string }).delivery ?? (event.data.data as { reason?: string }).reason])).toEqual([
      ['message.status', answer.body.messageId, 'sent'],
      ['session.ended', null, 'deleted'],
    ]);
  });

  it('another tenant cannot open a session feed (404)', async () => {
    const invite = await bed.inviteSent(7, 'wa', '+15551239002');
    const response = await fetch(`${base}/sessions/${invite.sessionId}/events`, { headers: { 'X-Api-Key': tenantKey(9) } });
    expect(response.status).toBe(404);
  });
});
