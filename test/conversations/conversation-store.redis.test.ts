import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../src/connectors/inbound.js';
import { ConversationStore, type InboundChannel } from '../../src/conversations/conversation-store.js';
import { cloneKvList } from '../../src/esp/kvlist.js';
import { RedisKeys } from '../../src/redis/keys.js';
import type { NewSession } from '../../src/sessions/session.js';
import { SessionStore } from '../../src/sessions/session-store.js';
import { deleteKeys, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';

const BUSINESS = '+15550001111';
const CHANNEL: InboundChannel = { tenant: 1, name: 'whatsapp-main', type: 'whatsapp', inboundRouteByCall: '1:session-WA-inbound' };

describe('conversation store: which session a customer message lands on', () => {
  const redis = new Redis(TEST_REDIS_URL);
  const prefix = uniquePrefix('conversation');
  const keys = new RedisKeys(prefix);
  const sessions = new SessionStore(redis, keys, 3_600);
  const conversations = new ConversationStore(redis, keys, { sessionTtlSeconds: 3_600, chatQueueMaxLen: 1_000, eventsMaxLen: 1_000 });
  let counter = 0;
  const nextId = () => `0CONV${String(++counter).padStart(11, '0')}`;

  afterAll(async () => {
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  /** An invite as the worker leaves it once sent: open in its chat queue, its wamid indexed (or terminated). */
  async function sentInvite(clientId: string, wamid: string, terminate = false, tenant = 1, channel = 'whatsapp-main'): Promise<string> {
    const session: NewSession = {
      sessionId: nextId(),
      tenant,
      channel,
      channelType: 'whatsapp',
      type: 'Outbound',
      subtype: 'OutboundNew',
      chatQueueKey: `${tenant}:ivr-invites`,
      terminate,
      clientId,
      businessId: BUSINESS,
      standardResponseId: 'order_ready',
      createdAt: new Date().toISOString(),
      userData: cloneKvList({}),
    };
    await sessions.create(session, { backlogLimit: 100 });
    const placement = { tenant, endpoint: 'ivr-invites', maxLen: 100, entry: { sessionId: session.sessionId, channel, clientId, businessId: BUSINESS } };
    await sessions.transition(session.sessionId, {
      state: terminate ? 'terminated' : 'open',
      delivery: 'sent',
      set: { providerMessageId: wamid },
      indexProviderMessage: { tenant, channel },
      ...(terminate ? {} : { placement }),
    });
    return session.sessionId;
  }

  function reply(clientId: string, id: string, extra: Partial<InboundMessage> = {}): InboundMessage {
    return { providerMessageId: id, clientId, businessId: BUSINESS, at: new Date().toISOString(), kind: 'text', text: 'yes please', ...extra };
  }

  it('a reply quoting the invite lands on the invite session, which becomes engaged', async () => {
    const sessionId = await sentInvite('+15551110001', 'wamid.Q1');
    const outcome = await conversations.recordInbound(CHANNEL, reply('+15551110001', 'wamid.IN1', { replyToProviderMessageId: 'wamid.Q1' }), nextId());
    expect(outcome).toEqual({ kind: 'recorded', sessionId, created: false, messageId: `${sessionId}.1` });
    const stored = await redis.hmget(keys.session(sessionId), 'engaged', 'lastInboundAt');
    expect(stored[0]).toBe('1');
    expect(stored[1]).toMatch(/^\d{4}-/);
  });

  it('a reply without a quote lands on the customer newest open session on that channel and business id', async () => {
    await sentInvite('+15551110002', 'wamid.OLD');
    const newest = await sentInvite('+15551110002', 'wamid.NEW');
    const outcome = await conversations.recordInbound(CHANNEL, reply('+15551110002', 'wamid.IN2'), nextId());
    expect(outcome).toMatchObject({ kind: 'recorded', sessionId: newest, created: false });
  });

  it('a reply after a terminated notification opens a new Inbound session, placed in the channel inbound queue', async () => {
    const notification = await sentInvite('+15551110003', 'wamid.T1', true);
    const newId = nextId();
    const outcome = await conversations.recordInbound(CHANNEL, reply('+15551110003', 'wamid.IN3', { replyToProviderMessageId: 'wamid.T1' }), newId);
    expect(outcome).toEqual({ kind: 'recorded', sessionId: newId, created: true, messageId: `${newId}.1` });
    expect(newId).not.toBe(notification);
    expect(await sessions.get(newId)).toMatchObject({ type: 'Inbound', subtype: 'InboundNew', state: 'open', delivery: 'none', chatQueueKey: '1:session-WA-inbound', clientId: '+15551110003' });
    const queued = await redis.xrange(keys.chatQueue(1, 'session-WA-inbound'), '-', '+');
    expect(queued.map(([, fields]) => fields[fields.indexOf('sessionId') + 1])).toContain(newId);
    // The customer's next message joins that new session instead of opening another.
    expect(await conversations.recordInbound(CHANNEL, reply('+15551110003', 'wamid.IN3b'), nextId())).toMatchObject({ sessionId: newId, created: false });
  });

  it('a provider message delivered twice is recorded once', async () => {
    const sessionId = await sentInvite('+15551110004', 'wamid.D1');
    const first = await conversations.recordInbound(CHANNEL, reply('+15551110004', 'wamid.DUP'), nextId());
    const again = await conversations.recordInbound(CHANNEL, reply('+15551110004', 'wamid.DUP'), nextId());
    expect(again).toEqual({ kind: 'duplicate', messageId: `${sessionId}.1` });
    expect(first).toMatchObject({ messageId: `${sessionId}.1` });
    expect(await redis.llen(keys.sessionMessages(sessionId))).toBe(1);
  });

  it('a quote of another tenant message never lands on that tenant session', async () => {
    const foreign = await sentInvite('+15551110005', 'wamid.T2OTHER', false, 2, 'whatsapp-t2');
    const newId = nextId();
    const outcome = await conversations.recordInbound(CHANNEL, reply('+15551110005', 'wamid.IN5', { replyToProviderMessageId: 'wamid.T2OTHER' }), newId);
    expect(outcome).toMatchObject({ sessionId: newId, created: true });
    expect(await redis.exists(keys.sessionMessages(foreign))).toBe(0);
  });

  it('each recorded message is a message.received event on the tenant events stream', async () => {
    const sessionId = await sentInvite('+15551110006', 'wamid.E1');
    const outcome = await conversations.recordInbound(CHANNEL, reply('+15551110006', 'wamid.IN6', { customerName: 'Ana' }), nextId());
    const events = await redis.xrange(keys.tenantEvents(1), '-', '+');
    const event = events.map(([, fields]) => Object.fromEntries(pairs(fields))).find((fields) => fields.messageId === (outcome.kind === 'recorded' ? outcome.messageId : ''));
    expect(event).toMatchObject({ event: 'message.received', sessionId, chatQueueKey: '1:ivr-invites' });
    expect(JSON.parse(event!.data!)).toMatchObject({ direction: 'in', kind: 'text', text: 'yes please', providerMessageId: 'wamid.IN6' });
    expect(await redis.hget(keys.session(sessionId), 'customerName')).toBe('Ana');
  });

  it('pages a transcript oldest first, the invite first, with a cursor', async () => {
    const sessionId = await sentInvite('+15551110007', 'wamid.P1');
    for (let i = 1; i <= 4; i++) await conversations.recordInbound(CHANNEL, reply('+15551110007', `wamid.P-IN${i}`, { text: `message ${i}` }), nextId());
    const session = (await sessions.get(sessionId))!;
    const first = await conversations.messages(session, undefined, 2);
    expect(first.messages.map((message) => [message.direction, message.text ?? message.author])).toEqual([['out', 'invite'], ['in', 'message 1']]);
    expect(first.next).toBe(1);
    const second = await conversations.messages(session, first.next!, 2);
    expect(second.messages.map((message) => message.text)).toEqual(['message 2', 'message 3']);
    const last = await conversations.messages(session, second.next!, 2);
    expect(last).toMatchObject({ messages: [{ text: 'message 4', id: `${sessionId}.4` }], next: null });
  });
});

function pairs(flat: string[]): Array<[string, string]> {
  const result: Array<[string, string]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) result.push([flat[i]!, flat[i + 1]!]);
  return result;
}
