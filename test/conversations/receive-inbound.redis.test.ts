import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConversationStore } from '../../src/conversations/conversation-store.js';
import { InboundReceiver } from '../../src/conversations/receive-inbound.js';
import { RedisKeys } from '../../src/redis/keys.js';
import { SessionStore } from '../../src/sessions/session-store.js';
import { testConfig, WA_BUSINESS_ID } from '../support/gateway.js';
import { deleteKeys, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';

describe('receiving a customer message', () => {
  const redis = new Redis(TEST_REDIS_URL);
  const prefix = uniquePrefix('receive');
  const lines: string[] = [];
  const receiver = new InboundReceiver({
    config: parseConfig(testConfig()),
    conversations: new ConversationStore(redis, new RedisKeys(prefix), { sessionTtlSeconds: 600, chatQueueMaxLen: 100, eventsMaxLen: 100 }),
    store: new SessionStore(redis, new RedisKeys(prefix), 600),
    // No opt-out reply is configured in the test channels: nothing is answered.
    answers: undefined as never,
    ids: { next: () => `0RECV${String(lines.length).padStart(11, '0')}` },
    logger: pino({ level: 'info' }, { write: (line: string) => lines.push(line) }),
  });
  afterAll(async () => {
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  it('logs the session and the kind of message, never its text, caption, media id or the customer number', async () => {
    const base = { clientId: '+15559870001', businessId: WA_BUSINESS_ID, at: new Date().toISOString() };
    expect(await receiver.receive({ tenant: 1, channel: 'whatsapp-main' }, { ...base, providerMessageId: 'wamid.LOG1', kind: 'text', text: 'my card is 4111 1111' })).toBe('applied');
    expect(await receiver.receive({ tenant: 1, channel: 'whatsapp-main' }, { ...base, providerMessageId: 'wamid.LOG2', kind: 'media', media: { id: 'MEDIA-ID-77', caption: 'passport scan' } })).toBe('applied');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0]!)).toMatchObject({ kind: 'text', channel: 'whatsapp-main', msg: 'customer message received' });
    for (const secret of ['4111', 'passport', 'MEDIA-ID-77', '15559870001']) expect(lines.join('\n')).not.toContain(secret);
  });

  it('a business id that is not the channel own is not recorded', async () => {
    const message = { clientId: '+15559870002', businessId: '+15550009999', at: new Date().toISOString(), providerMessageId: 'wamid.ELSE', kind: 'text' as const, text: 'hi' };
    expect(await receiver.receive({ tenant: 1, channel: 'whatsapp-main' }, message)).toBe('unknown');
    expect(await receiver.receive({ tenant: 1, channel: 'no-such-channel' }, { ...message, businessId: WA_BUSINESS_ID })).toBe('unknown');
  });
});
