import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneKvList } from '../../src/esp/kvlist.js';
import { RedisKeys } from '../../src/redis/keys.js';
import type { NewSession } from '../../src/sessions/session.js';
import { SessionStore } from '../../src/sessions/session-store.js';
import { deleteKeys, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';

describe('session store on Redis', () => {
  const redis = new Redis(TEST_REDIS_URL);
  const prefix = uniquePrefix('store');
  const keys = new RedisKeys(prefix);
  const store = new SessionStore(redis, keys, 3_600);
  let counter = 0;

  function newSession(overrides: Partial<NewSession> = {}): NewSession {
    counter++;
    return {
      sessionId: `0STORE${String(counter).padStart(10, '0')}`,
      tenant: 1,
      channel: 'whatsapp-main',
      channelType: 'whatsapp',
      type: 'Outbound',
      subtype: 'OutboundNew',
      chatQueueKey: '1:session-WA-inbound',
      terminate: false,
      clientId: `+1555000${String(counter).padStart(4, '0')}`,
      businessId: '+15550001111',
      standardResponseId: 'order_ready',
      createdAt: new Date().toISOString(),
      userData: cloneKvList({ LastCalledAgent_EmployeeID: 'ag7102' }),
      ...overrides,
    };
  }

  beforeAll(async () => {
    await deleteKeys(redis, prefix);
  });
  afterAll(async () => {
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  it('stores a new session as queued with a pending delivery and a first history entry', async () => {
    const session = newSession();
    expect(await store.create(session, { backlogLimit: 10 })).toEqual({ kind: 'created', sessionId: session.sessionId });
    const stored = await store.get(session.sessionId);
    expect(stored).toMatchObject({ state: 'queued', delivery: 'pending', attempts: 0, error: null, userData: { LastCalledAgent_EmployeeID: 'ag7102' } });
    expect(stored?.history.map((entry) => entry.event)).toEqual(['state:queued']);
  });

  it('never moves delivery back: a late delivered after read changes nothing', async () => {
    const session = newSession();
    await store.create(session, { backlogLimit: 10 });
    await store.transition(session.sessionId, { delivery: 'sent' });
    await store.transition(session.sessionId, { delivery: 'read' });
    expect(await store.transition(session.sessionId, { delivery: 'delivered' })).toEqual({ found: true, stateApplied: false, deliveryApplied: false });
    expect((await store.get(session.sessionId))?.delivery).toBe('read');
  });

  it('accepts read without delivered (WhatsApp may skip it)', async () => {
    const session = newSession();
    await store.create(session, { backlogLimit: 10 });
    await store.transition(session.sessionId, { delivery: 'sent' });
    expect((await store.transition(session.sessionId, { delivery: 'read' })).deliveryApplied).toBe(true);
  });

  it('keeps tracking delivery after the session is terminated', async () => {
    const session = newSession();
    await store.create(session, { backlogLimit: 10 });
    await store.transition(session.sessionId, { state: 'terminated', delivery: 'sent' });
    await store.transition(session.sessionId, { delivery: 'delivered' });
    expect(await store.get(session.sessionId)).toMatchObject({ state: 'terminated', delivery: 'delivered' });
  });

  it('places a session in its chat queue exactly once, even when the open is repeated', async () => {
    const session = newSession();
    await store.create(session, { backlogLimit: 10 });
    const placement = { tenant: 1, endpoint: 'once', maxLen: 100, entry: { sessionId: session.sessionId } };
    expect((await store.transition(session.sessionId, { state: 'open', placement })).stateApplied).toBe(true);
    expect((await store.transition(session.sessionId, { state: 'open', placement })).stateApplied).toBe(false);
    expect(await redis.xlen(keys.chatQueue(1, 'once'))).toBe(1);
  });

  it('refuses a new session once the tenant backlog is full, and counts down as workers take jobs', async () => {
    const limited = new SessionStore(redis, new RedisKeys(`${prefix}:backlog`), 3_600);
    const first = newSession();
    expect((await limited.create(first, { backlogLimit: 2 })).kind).toBe('created');
    expect((await limited.create(newSession(), { backlogLimit: 2 })).kind).toBe('created');
    expect((await limited.create(newSession(), { backlogLimit: 2 })).kind).toBe('backlogFull');
    // A worker takes the first invite (queued -> sending): its place is free again, once only.
    await limited.transition(first.sessionId, { state: 'sending', backlogTenant: 1 });
    await limited.transition(first.sessionId, { state: 'sending', backlogTenant: 1 });
    expect((await limited.create(newSession(), { backlogLimit: 2 })).kind).toBe('created');
    expect((await limited.create(newSession(), { backlogLimit: 2 })).kind).toBe('backlogFull');
  });

  it('a transition on an unknown session reports it as not found and creates nothing', async () => {
    expect(await store.transition('0NOSUCHSESSION00', { state: 'open' })).toEqual({ found: false, stateApplied: false, deliveryApplied: false });
    expect(await redis.exists(keys.session('0NOSUCHSESSION00'))).toBe(0);
  });

  it('a failed session keeps its error', async () => {
    const session = newSession();
    await store.create(session, { backlogLimit: 10 });
    const error = { code: 'undeliverable', providerCode: 131026, message: 'not a WhatsApp user' };
    await store.transition(session.sessionId, { state: 'failed', delivery: 'failed', set: { error } });
    expect(await store.get(session.sessionId)).toMatchObject({ state: 'failed', delivery: 'failed', error });
  });
});
