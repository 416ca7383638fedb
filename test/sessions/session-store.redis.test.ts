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

  describe('confirmation: a session is sendable only once the API confirmed it in time', () => {
    const claimRequest = { attempt: 1, credentialsFingerprint: '', perSecond: 1_000, maxSleepMs: 250 };
    const jobKey = (session: NewSession) => `${keys.bullPrefix}:invite-delivery:${session.sessionId}`;
    const claim = (session: NewSession, attempt = 1) => store.claimForSend(session.sessionId, 1, session.channel, session.businessId, { ...claimRequest, attempt });
    const stat = async (field: string) => Number((await redis.hget(keys.deliveryStats(), field)) ?? 0);

    it('a worker waits for an unconfirmed session, and sends it once it is confirmed', async () => {
      const session = newSession();
      await store.create(session, { backlogLimit: 10, confirmWithinMs: 5_000 });
      const early = await claim(session);
      expect(early.kind).toBe('unconfirmed');
      expect(early.kind === 'unconfirmed' && early.retryInMs).toBeGreaterThan(4_000);
      await redis.hset(jobKey(session), 'name', 'invite');
      expect(await store.confirm(session, jobKey(session))).toBe('confirmed');
      expect((await claim(session)).kind).toBe('claimed');
    });

    it('a confirmation after the deadline withdraws the session instead, and frees its idempotency key', async () => {
      const session = newSession();
      const idempotency = { keyHash: 'late-key', requestHash: 'a'.repeat(64) };
      await store.create(session, { backlogLimit: 10, confirmWithinMs: -1 }, idempotency);
      await redis.hset(jobKey(session), 'name', 'invite');
      const withdrawnBefore = await stat('withdrawnUnconfirmed');
      expect(await store.confirm(session, jobKey(session))).toBe('late');
      expect(await redis.exists(keys.session(session.sessionId), keys.idempotency(1, 'late-key'))).toBe(0);
      expect(await stat('withdrawnUnconfirmed')).toBe(withdrawnBefore + 1);
    });

    it('a confirmation without the delivery job withdraws the session', async () => {
      const session = newSession();
      await store.create(session, { backlogLimit: 10, confirmWithinMs: 5_000 });
      expect(await store.confirm(session, jobKey(session))).toBe('nojob');
      expect(await store.get(session.sessionId)).toBeUndefined();
    });

    it('a worker withdraws a session left unconfirmed past its deadline, and never claims it', async () => {
      const session = newSession();
      await store.create(session, { backlogLimit: 10, confirmWithinMs: -1 });
      expect(await claim(session)).toEqual({ kind: 'withdrawn' });
      expect(await store.get(session.sessionId)).toBeUndefined();
      expect(await store.confirm(session, jobKey(session))).toBe('gone');
    });

    it('a withdrawal after a lost answer removes a session no worker took, and counts one already taken', async () => {
      const untaken = newSession();
      await store.create(untaken, { backlogLimit: 10 });
      expect(await store.withdraw(untaken)).toBe('withdrawn');
      expect(await store.get(untaken.sessionId)).toBeUndefined();

      const taken = newSession();
      await store.create(taken, { backlogLimit: 10 });
      await claim(taken);
      const takenBefore = await stat('refusedButSent');
      expect(await store.withdraw(taken)).toBe('taken');
      expect(await store.get(taken.sessionId)).toMatchObject({ state: 'sending' });
      expect(await stat('refusedButSent')).toBe(takenBefore + 1);
    });

    it('a second request with the idempotency key of an unconfirmed one waits for it; past its deadline it is forgotten', async () => {
      const idempotency = { keyHash: 'pending-key', requestHash: 'b'.repeat(64) };
      const first = newSession();
      await store.create(first, { backlogLimit: 10, confirmWithinMs: 5_000 }, idempotency);
      expect(await store.create(newSession(), { backlogLimit: 10, confirmWithinMs: 5_000 }, idempotency)).toEqual({ kind: 'inflight', sessionId: first.sessionId });

      const stale = { keyHash: 'stale-key', requestHash: 'c'.repeat(64) };
      const abandoned = newSession();
      await store.create(abandoned, { backlogLimit: 10, confirmWithinMs: -1 }, stale);
      const next = newSession();
      expect(await store.create(next, { backlogLimit: 10, confirmWithinMs: 5_000 }, stale)).toEqual({ kind: 'created', sessionId: next.sessionId });
      expect(await store.get(abandoned.sessionId)).toBeUndefined();
    });
  });

  describe('possible duplicates: a send whose earlier attempt never reported back', () => {
    const claimRequest = { credentialsFingerprint: '', perSecond: 1_000, maxSleepMs: 250 };

    it('is counted when a worker died mid-send, and not when the earlier attempt got an answer', async () => {
      const stat = async () => Number((await redis.hget(keys.deliveryStats(), 'sendsAfterUnknownOutcome')) ?? 0);
      const died = newSession();
      await store.create(died, { backlogLimit: 10 });
      const first = await store.claimForSend(died.sessionId, 1, died.channel, died.businessId, { ...claimRequest, attempt: 1 });
      expect(first.kind === 'claimed' && first.unknownOutcome).toBe(false);
      // No outcome recorded (the worker was killed), the job is taken again.
      const before = await stat();
      const again = await store.claimForSend(died.sessionId, 1, died.channel, died.businessId, { ...claimRequest, attempt: 2 });
      expect(again.kind === 'claimed' && again.unknownOutcome).toBe(true);
      expect(await stat()).toBe(before + 1);

      const answered = newSession();
      await store.create(answered, { backlogLimit: 10 });
      await store.claimForSend(answered.sessionId, 1, answered.channel, answered.businessId, { ...claimRequest, attempt: 1 });
      await store.settleAttempt(answered.sessionId);
      const retry = await store.claimForSend(answered.sessionId, 1, answered.channel, answered.businessId, { ...claimRequest, attempt: 2 });
      expect(retry.kind === 'claimed' && retry.unknownOutcome).toBe(false);
      expect(await stat()).toBe(before + 1);
    });
  });
});
