import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { cloneKvList, type KvList } from '../esp/kvlist.js';
import { fieldPairs } from '../redis/field-pairs.js';
import type { RedisKeys } from '../redis/keys.js';
import type { RedisClock } from '../redis/clock.js';
import {
  CLAIM_FOR_SEND,
  CLAIM_FOR_SEND_SIGNATURE,
  CONFIRM_SESSION,
  CONFIRM_SESSION_SIGNATURE,
  CREATE_SESSION,
  CREATE_SESSION_SIGNATURE,
  TRANSITION,
  TRANSITION_SIGNATURE,
  WITHDRAW_SESSION,
  WITHDRAW_SESSION_SIGNATURE,
} from './scripts.js';
import {
  STATE_ENTERED_FROM,
  type CampaignRowRef,
  type DeliveryState,
  type HistoryEntry,
  type NewSession,
  type Session,
  type SessionError,
  type SessionState,
} from './session.js';

/** Idempotency keys are remembered for 24 h (docs/protocol.md#idempotency). */
const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

export interface IdempotencyClaim {
  /** sha256 of the caller's key (scoped by tenant in the Redis key). */
  keyHash: string;
  /** sha256 of the canonical request, to tell a replay from a different request. */
  requestHash: string;
}

export type CreateOutcome =
  | { kind: 'created'; sessionId: string }
  | { kind: 'replayed'; sessionId: string }
  | { kind: 'conflict'; sessionId: string }
  /** The idempotency key's first request is still being stored (not yet confirmed). */
  | { kind: 'inflight'; sessionId: string }
  | { kind: 'suppressed'; reason: SuppressionReason }
  | { kind: 'channelHeld'; reason: string }
  | { kind: 'recipientLimited' }
  | { kind: 'backlogFull' };

/** What `create` enforces besides the session itself. */
export interface CreateLimits {
  /** Invites of the tenant waiting for delivery before `backlogFull`. */
  backlogLimit: number;
  /** The channel's `perRecipient` cap; absent: no cap. */
  perRecipient?: { max: number; windowSeconds: number };
  /** Fingerprint of the channel's connector credentials: a hold set under them refuses the invite. */
  credentialsFingerprint?: string;
  /**
   * How long, from now, the session may be confirmed (`confirm`); it is never sent unconfirmed.
   * The invite use case gives half the request path's Redis command timeout, so a confirmation
   * that lands in time has its answer back before the API gives up waiting. Absent: the session
   * is written confirmed (tools and tests that need no two-step write).
   */
  confirmWithinMs?: number;
}

/** Why a recipient is suppressed: WhatsApp's marketing opt-out (131050) or an opt-out keyword they sent. */
export type SuppressionReason = 'marketing_opt_out' | 'opt_out_keyword';

export interface SuppressionRecord {
  clientId: string;
  reason: SuppressionReason;
  at: string;
}

/** The reason stored with a suppression; older ones hold a timestamp and were WhatsApp's opt-out. */
function suppressionReasonOf(stored: string | undefined): SuppressionReason {
  try {
    return (JSON.parse(stored ?? '') as { reason?: SuppressionReason }).reason ?? 'marketing_opt_out';
  } catch {
    return 'marketing_opt_out';
  }
}

/** What `confirm` found: only `confirmed` makes the session sendable; `late` and `nojob` withdrew it. */
export type ConfirmOutcome = 'confirmed' | 'late' | 'nojob' | 'gone';

/** What `withdraw` found: `taken` means a worker already claimed the session (it may be sent). */
export type WithdrawOutcome = 'withdrawn' | 'gone' | 'taken';

/** The send-guarantee counters (`RedisKeys.deliveryStats`), all processes together. */
export interface DeliveryStats {
  withdrawnUnconfirmed: number;
  withdrawnAfterDoubt: number;
  refusedButSent: number;
  sendsAfterUnknownOutcome: number;
}

/** Where a session is placed when it opens: a chat-queue stream entry. */
export interface Placement {
  tenant: number;
  endpoint: string;
  maxLen: number;
  entry: Record<string, string>;
}

export interface TransitionRequest {
  state?: SessionState;
  delivery?: DeliveryState;
  /**
   * Fields to set alongside an applied change (attempts, providerMessageId, error);
   * `attemptSettled` clears the in-flight mark of the send attempt whose outcome this records.
   */
  set?: { attempts?: number; providerMessageId?: string; error?: SessionError | null; attemptSettled?: boolean };
  /** With `state: 'open'`: the chat queue to place the session in. */
  placement?: Placement;
  /** Leaving `queued` takes the invite out of this tenant's backlog. */
  backlogTenant?: number;
  /** Why the session ends, for its `session.ended` event (`deleted`, `terminate_flag`, …); default: the state. */
  endReason?: string;
  /** Index `set.providerMessageId` under the session's channel so status webhooks find the session. */
  indexProviderMessage?: { tenant: number; channel: string };
  at?: Date;
}

export interface TransitionResult {
  found: boolean;
  /** The session is not yet confirmed: `retryInMs` until its deadline. Nothing was changed. */
  unconfirmed?: { retryInMs: number };
  /** The session was never confirmed and was withdrawn now. */
  withdrawn?: boolean;
  stateApplied: boolean;
  deliveryApplied: boolean;
}

/** A change that was applied, as status listeners (the tenant's status webhook) see it. */
export interface SessionChange {
  sessionId: string;
  tenant: number;
  channel: string;
  state: SessionState;
  delivery: DeliveryState;
  error: SessionError | null;
  at: string;
  /** Set when the session is a campaign invite, so its campaign row can follow. */
  campaign?: CampaignRowRef;
}

export type SessionChangeListener = (change: SessionChange) => Promise<void>;

/** What a worker may do with a session for one send attempt (sessions/scripts.ts CLAIM_FOR_SEND). */
export type SendClaim =
  | { kind: 'gone' }
  | { kind: 'skipped'; state: string }
  | { kind: 'held'; reason: string }
  | { kind: 'wait'; retryInMs: number }
  /** Not yet confirmed by the API: look again in `retryInMs`. */
  | { kind: 'unconfirmed'; retryInMs: number }
  /** Never confirmed (the invite was answered with a fault): withdrawn, never to be sent. */
  | { kind: 'withdrawn' }
  /** `unknownOutcome`: an earlier attempt never reported back, so this send may be a duplicate. */
  | { kind: 'claimed'; waitMs: number; unknownOutcome: boolean; session: Session };

export interface ClaimRequest {
  attempt: number;
  /** Fingerprint of the channel's connector configuration; a stop under other credentials is stale. */
  credentialsFingerprint: string;
  /** `rateLimit.perSecond` of the session's business number. */
  perSecond: number;
  /** Longest a worker sleeps for a slot before the job goes back to the queue. */
  maxSleepMs: number;
}

type ScriptedRedis = Redis & {
  igCreateSession(...args: Array<string | number>): Promise<[string, string]>;
  igConfirmSession(...args: Array<string | number>): Promise<ConfirmOutcome>;
  igWithdrawSession(...args: Array<string | number>): Promise<WithdrawOutcome>;
  igClaimForSend(...args: Array<string | number>): Promise<string[]>;
  igTransition(...args: Array<string | number>): Promise<[number, number, string?, string?, string?, string?, string?]>;
};

/** Sessions in Redis: one hash per session plus its history list, both with the configured TTL. */
export class SessionStore {
  private readonly redis: ScriptedRedis;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
    private readonly ttlSeconds: number,
    /** Told of every applied state or delivery change (after it is stored). */
    private readonly onChange?: SessionChangeListener,
    /** Redis's clock, for confirmation deadlines; the local one where both share a host. */
    private readonly clock: Pick<RedisClock, 'now'> = { now: () => Date.now() },
    /** Approximate MAXLEN of each tenant's events stream. @defaultValue 100,000 */
    private readonly eventsMaxLen = 100_000,
  ) {
    defineScripts(redis);
    this.redis = redis as ScriptedRedis;
  }

  /** The keys every session script takes: the session, its history, its tenant's backlog, the stats. */
  private sessionKeys(sessionId: string, tenant: number) {
    return {
      sessionKey: this.keys.session(sessionId),
      historyKey: this.keys.sessionHistory(sessionId),
      backlogKey: this.keys.tenantBacklog(tenant),
      statsKey: this.keys.deliveryStats(),
    };
  }

  async create(session: NewSession, limits: CreateLimits, idempotency?: IdempotencyClaim): Promise<CreateOutcome> {
    const recipient = hashRecipient(session.clientId);
    const idempotencyKey = idempotency ? this.keys.idempotency(session.tenant, idempotency.keyHash) : '';
    const fields: Record<string, string> = {
      ...sessionRecord(session, 'queued', session.standardResponseId ? 'pending' : 'none'),
      ...(limits.confirmWithinMs === undefined ? {} : { confirmed: '0', confirmBy: String(Math.floor(this.clock.now() + limits.confirmWithinMs)) }),
      idemKey: idempotencyKey,
      ...(session.campaign ? { campaign: `${session.campaign.campaignId}:${session.campaign.row}` } : {}),
    };
    const [kind, sessionId] = await this.redis.igCreateSession(
      ...CREATE_SESSION_SIGNATURE.encode(
        {
          sessionKey: this.keys.session(session.sessionId),
          historyKey: this.keys.sessionHistory(session.sessionId),
          backlogKey: this.keys.tenantBacklog(session.tenant),
          idempotencyKey,
          recipientCountKey: limits.perRecipient ? this.keys.recipientCount(session.tenant, session.channel, recipient) : '',
          suppressionKey: this.keys.recipientSuppressed(session.tenant, session.channel, recipient),
          holdKey: this.keys.channelHold(session.tenant, session.channel),
        },
        {
          ttlSeconds: this.ttlSeconds,
          backlogLimit: limits.backlogLimit,
          historyEntryJson: JSON.stringify({ event: 'state:queued', at: session.createdAt }),
          requestHash: idempotency?.requestHash ?? '',
          idempotencyTtlSeconds: IDEMPOTENCY_TTL_SECONDS,
          sessionId: session.sessionId,
          recipientMax: limits.perRecipient?.max ?? 0,
          recipientWindowSeconds: limits.perRecipient?.windowSeconds ?? 0,
          fieldsJson: JSON.stringify(fields),
          credentialsFingerprint: limits.credentialsFingerprint ?? '',
        },
      ),
    );
    switch (kind) {
      case 'created':
      case 'replayed':
      case 'conflict':
      case 'inflight':
        return { kind, sessionId };
      case 'suppressed':
        return { kind: 'suppressed', reason: suppressionReasonOf(sessionId) };
      case 'held':
        return { kind: 'channelHeld', reason: sessionId };
      case 'limited':
        return { kind: 'recipientLimited' };
      case 'full':
        return { kind: 'backlogFull' };
      default:
        // Ids never repeat (session-id.ts); reaching this means two generators share a node number.
        throw new Error(`session id ${session.sessionId} already exists`);
    }
  }

  /**
   * Makes a created session sendable, if its delivery job (`jobKey`, BullMQ's job hash) is stored
   * and the deadline has not passed; otherwise withdraws it.
   */
  async confirm(session: Pick<NewSession, 'sessionId' | 'tenant'>, jobKey: string): Promise<ConfirmOutcome> {
    return this.redis.igConfirmSession(
      ...CONFIRM_SESSION_SIGNATURE.encode({ ...this.sessionKeys(session.sessionId, session.tenant), jobKey }, { sessionId: session.sessionId }),
    );
  }

  /** Withdraws a session no worker has taken yet (and frees its idempotency key). */
  async withdraw(session: Pick<NewSession, 'sessionId' | 'tenant'>): Promise<WithdrawOutcome> {
    return this.redis.igWithdrawSession(...WITHDRAW_SESSION_SIGNATURE.encode(this.sessionKeys(session.sessionId, session.tenant), { sessionId: session.sessionId }));
  }

  /**
   * Ends open sessions with no message either way for `idleMs` (reason `idle`), at most `limit` a
   * call; answers how many it ended. Sessions no longer open just leave the activity set.
   */
  async endIdleSessions(idleMs: number, limit = 100): Promise<number> {
    const [seconds, micros] = await this.redis.time();
    const now = Number(seconds) * 1_000 + Math.floor(Number(micros) / 1_000);
    const idle = await this.redis.zrangebyscore(this.keys.sessionActivity(), '-inf', now - idleMs, 'LIMIT', 0, limit);
    let ended = 0;
    for (const sessionId of idle) {
      const { stateApplied } = await this.transition(sessionId, { state: 'terminated', endReason: 'idle' });
      if (stateApplied) ended++;
      await this.redis.zrem(this.keys.sessionActivity(), sessionId);
    }
    return ended;
  }

  async deliveryStats(): Promise<DeliveryStats> {
    const stored = await this.redis.hgetall(this.keys.deliveryStats());
    const count = (field: keyof DeliveryStats) => Number(stored[field] ?? 0);
    return {
      withdrawnUnconfirmed: count('withdrawnUnconfirmed'),
      withdrawnAfterDoubt: count('withdrawnAfterDoubt'),
      refusedButSent: count('refusedButSent'),
      sendsAfterUnknownOutcome: count('sendsAfterUnknownOutcome'),
    };
  }

  /** The provider answered a send attempt with an error: it is no longer in flight. */
  async settleAttempt(sessionId: string): Promise<void> {
    await this.redis.hset(this.keys.session(sessionId), 'inFlight', '');
  }

  /**
   * The session of a provider message id on one channel. Ids indexed by earlier versions (unscoped)
   * are found too, but only when that session is on this channel.
   */
  async sessionOfProviderMessage(tenant: number, channel: string, providerMessageId: string): Promise<Session | undefined> {
    const [scoped, legacy] = await this.redis.mget(this.keys.providerMessage(tenant, channel, providerMessageId), this.keys.legacyProviderMessage(providerMessageId));
    const sessionId = scoped ?? legacy;
    if (!sessionId) return undefined;
    const session = await this.get(sessionId, { withHistory: false });
    return session && session.tenant === tenant && session.channel === channel ? session : undefined;
  }

  /**
   * Remembers a provider's report (message id, status) of one channel for `seconds`; false when it
   * was already remembered, i.e. this one is a replay or a provider's repeat.
   */
  async claimProviderReport(tenant: number, channel: string, providerMessageId: string, status: string, seconds: number): Promise<boolean> {
    return (await this.redis.set(this.keys.providerReportSeen(tenant, channel, providerMessageId, status), '1', 'EX', seconds, 'NX')) === 'OK';
  }

  /** Forgets a claimed report whose change could not be stored, so the provider's retry applies it. */
  async releaseProviderReport(tenant: number, channel: string, providerMessageId: string, status: string): Promise<void> {
    await this.redis.del(this.keys.providerReportSeen(tenant, channel, providerMessageId, status));
  }

  /**
   * Stops a channel after an expired token or a blocked account: invites are refused at the door
   * and sends wait, until the channel runs with other credentials or is resumed.
   */
  async holdChannel(tenant: number, channel: string, credentialsFingerprint: string, reason: string): Promise<void> {
    await this.redis.set(this.keys.channelHold(tenant, channel), `${credentialsFingerprint}|${reason}`);
  }

  async resumeChannel(tenant: number, channel: string): Promise<boolean> {
    return (await this.redis.del(this.keys.channelHold(tenant, channel))) === 1;
  }

  /**
   * The recipient stopped messages on this channel (WhatsApp's marketing opt-out, or an opt-out
   * keyword they sent): later invites to them are refused. True when they were not suppressed yet.
   */
  async suppressRecipient(tenant: number, channel: string, clientId: string, reason: SuppressionReason = 'marketing_opt_out'): Promise<boolean> {
    const hash = hashRecipient(clientId);
    const record = JSON.stringify({ clientId, reason, at: new Date().toISOString() });
    const [[, added]] = (await this.redis
      .multi()
      .set(this.keys.recipientSuppressed(tenant, channel, hash), JSON.stringify({ reason }), 'NX')
      .hset(this.keys.channelSuppressions(tenant, channel), hash, record)
      .exec()) as [[Error | null, string | null], unknown];
    return added === 'OK';
  }

  /** Lifts a suppression (an opt-in keyword, or an operator); true when there was one. */
  async liftSuppression(tenant: number, channel: string, clientId: string): Promise<boolean> {
    const hash = hashRecipient(clientId);
    const [[, removed]] = (await this.redis.multi().del(this.keys.recipientSuppressed(tenant, channel, hash)).hdel(this.keys.channelSuppressions(tenant, channel), hash).exec()) as [[Error | null, number], unknown];
    return removed === 1;
  }

  /** One page of a channel's suppressed recipients, in no particular order (HSCAN cursor). */
  async suppressions(tenant: number, channel: string, cursor: string, count: number): Promise<{ entries: SuppressionRecord[]; next: string | null }> {
    const [next, flat] = await this.redis.hscan(this.keys.channelSuppressions(tenant, channel), cursor, 'COUNT', count);
    const entries = fieldPairs(flat).map(([, value]) => JSON.parse(value) as SuppressionRecord);
    return { entries, next: next === '0' ? null : next };
  }

  /** Claims a session for one send attempt: state, channel stop and send pace in one command. */
  async claimForSend(sessionId: string, tenant: number, channel: string, businessId: string, request: ClaimRequest): Promise<SendClaim> {
    const at = new Date().toISOString();
    const [kind, first = '', ...fields] = await this.redis.igClaimForSend(
      ...CLAIM_FOR_SEND_SIGNATURE.encode(
        { ...this.sessionKeys(sessionId, tenant), holdKey: this.keys.channelHold(tenant, channel), pacingKey: this.keys.pacing(tenant, channel, businessId) },
        { at, attempt: request.attempt, credentialsFingerprint: request.credentialsFingerprint, intervalMs: 1_000 / request.perSecond, maxSleepMs: request.maxSleepMs, sessionId },
      ),
    );
    switch (kind) {
      case 'claimed': {
        const [unknownOutcome, ...sessionFields] = fields;
        const stored = Object.fromEntries(fieldPairs(sessionFields));
        const session = toSession(sessionId, stored, []);
        await this.onChange?.({ sessionId, tenant, channel, state: 'sending', delivery: session.delivery, error: null, at, ...campaignOf(stored.campaign) });
        return { kind, waitMs: Number(first), unknownOutcome: unknownOutcome === '1', session };
      }
      case 'unconfirmed':
        return { kind, retryInMs: Number(first) };
      case 'withdrawn':
        return { kind };
      case 'held':
        return { kind, reason: first };
      case 'wait':
        return { kind, retryInMs: Number(first) };
      case 'skipped':
        return { kind, state: first };
      default:
        return { kind: 'gone' };
    }
  }

  /** The session; `withHistory: false` skips reading the history (the worker does not need it). */
  async get(sessionId: string, options: { withHistory?: boolean } = {}): Promise<Session | undefined> {
    const [fields, history] = await Promise.all([
      this.redis.hgetall(this.keys.session(sessionId)),
      options.withHistory === false ? Promise.resolve([]) : this.redis.lrange(this.keys.sessionHistory(sessionId), 0, -1),
    ]);
    if (!fields.state) return undefined;
    return toSession(sessionId, fields, history);
  }

  async transition(sessionId: string, change: TransitionRequest): Promise<TransitionResult> {
    const placement = change.placement;
    const at = (change.at ?? new Date()).toISOString();
    const [state, delivery, stateNow, deliveryNow, tenant, channel, campaign] = await this.redis.igTransition(
      ...TRANSITION_SIGNATURE.encode(
        {
          sessionKey: this.keys.session(sessionId),
          historyKey: this.keys.sessionHistory(sessionId),
          chatQueueKey: placement ? this.keys.chatQueue(placement.tenant, placement.endpoint) : '',
          backlogKey: change.backlogTenant === undefined ? '' : this.keys.tenantBacklog(change.backlogTenant),
          providerMessageKey:
            change.indexProviderMessage && change.set?.providerMessageId ? this.keys.providerMessage(change.indexProviderMessage.tenant, change.indexProviderMessage.channel, change.set.providerMessageId) : '',
          statsKey: this.keys.deliveryStats(),
          customerSessionKey: placement ? this.keys.customerSession(placement.tenant, placement.entry.channel ?? '', hashCustomer(placement.entry.businessId ?? '', placement.entry.clientId ?? '')) : '',
        },
        {
          at,
          toState: change.state ?? '',
          allowedFromStates: change.state ? STATE_ENTERED_FROM[change.state].join(',') : '',
          toDelivery: change.delivery ?? '',
          streamMaxLen: placement?.maxLen ?? 0,
          streamFieldsJson: placement ? JSON.stringify(Object.entries(placement.entry).flat()) : '[]',
          extraFieldsJson: JSON.stringify(serialiseExtraFields(change.set)),
          indexTtlSeconds: this.ttlSeconds,
          sessionId,
          endReason: change.endReason ?? '',
          eventsMaxLen: this.eventsMaxLen,
        },
      ),
    );
    if (state === -2) return { found: true, stateApplied: false, deliveryApplied: false, unconfirmed: { retryInMs: Number(delivery) } };
    if (state === -3) return { found: true, stateApplied: false, deliveryApplied: false, withdrawn: true };
    if ((state === 1 || delivery === 1) && this.onChange) {
      await this.onChange({
        sessionId,
        tenant: Number(tenant),
        channel: channel ?? '',
        state: stateNow as SessionState,
        delivery: deliveryNow as DeliveryState,
        error: change.set?.error ?? null,
        at,
        ...campaignOf(campaign),
      });
    }
    return { found: state !== -1, stateApplied: state === 1, deliveryApplied: delivery === 1 };
  }
}

/** The `campaign` field of a change from the stored `<campaignId>:<row>`, present only for campaign invites. */
function campaignOf(field: string | null | undefined): { campaign?: CampaignRowRef } {
  if (!field) return {};
  const separator = field.lastIndexOf(':');
  return { campaign: { campaignId: field.slice(0, separator), row: Number(field.slice(separator + 1)) } };
}

function defineScripts(redis: Redis): void {
  const scripted = redis as unknown as Partial<ScriptedRedis>;
  if (typeof scripted.igTransition === 'function') return;
  redis.defineCommand('igCreateSession', { numberOfKeys: CREATE_SESSION_SIGNATURE.numberOfKeys, lua: CREATE_SESSION });
  redis.defineCommand('igConfirmSession', { numberOfKeys: CONFIRM_SESSION_SIGNATURE.numberOfKeys, lua: CONFIRM_SESSION });
  redis.defineCommand('igWithdrawSession', { numberOfKeys: WITHDRAW_SESSION_SIGNATURE.numberOfKeys, lua: WITHDRAW_SESSION });
  redis.defineCommand('igTransition', { numberOfKeys: TRANSITION_SIGNATURE.numberOfKeys, lua: TRANSITION });
  redis.defineCommand('igClaimForSend', { numberOfKeys: CLAIM_FOR_SEND_SIGNATURE.numberOfKeys, lua: CLAIM_FOR_SEND });
}

/** The stored fields of a new session in a given state (also used for sessions a customer opens). */
export function sessionRecord(session: NewSession, state: SessionState, delivery: DeliveryState): Record<string, string> {
  return {
    tenant: String(session.tenant),
    channel: session.channel,
    channelType: session.channelType,
    state,
    delivery,
    type: session.type,
    subtype: session.subtype,
    chatQueueKey: session.chatQueueKey,
    terminate: session.terminate ? '1' : '0',
    clientId: session.clientId,
    businessId: session.businessId,
    standardResponseId: session.standardResponseId ?? '',
    attempts: '0',
    providerMessageId: '',
    error: '',
    createdAt: session.createdAt,
    userData: JSON.stringify(session.userData),
  };
}

/** The customer's part of `RedisKeys.customerSession`: business id and client id, hashed together. */
export function hashCustomer(businessId: string, clientId: string): string {
  return createHash('sha256').update(`${businessId}|${clientId}`).digest('hex').slice(0, 32);
}

/** Recipient keys hold a hash, so phone numbers never show up in key names (monitoring, SCAN). */
function hashRecipient(clientId: string): string {
  return createHash('sha256').update(clientId).digest('hex').slice(0, 32);
}

function serialiseExtraFields(set: TransitionRequest['set']): Record<string, string> {
  const fields: Record<string, string> = {};
  if (!set) return fields;
  if (set.attempts !== undefined) fields.attempts = String(set.attempts);
  if (set.providerMessageId !== undefined) fields.providerMessageId = set.providerMessageId;
  if (set.error !== undefined) fields.error = set.error ? JSON.stringify(set.error) : '';
  if (set.attemptSettled) fields.inFlight = '';
  return fields;
}


function toSession(sessionId: string, fields: Record<string, string>, history: string[]): Session {
  return {
    sessionId,
    tenant: Number(fields.tenant),
    channel: fields.channel ?? '',
    channelType: fields.channelType ?? '',
    state: fields.state as SessionState,
    delivery: fields.delivery as DeliveryState,
    type: fields.type as Session['type'],
    subtype: fields.subtype as Session['subtype'],
    chatQueueKey: fields.chatQueueKey ?? '',
    terminate: fields.terminate === '1',
    clientId: fields.clientId ?? '',
    businessId: fields.businessId ?? '',
    standardResponseId: fields.standardResponseId || null,
    attempts: Number(fields.attempts ?? 0),
    providerMessageId: fields.providerMessageId || null,
    error: fields.error ? (JSON.parse(fields.error) as SessionError) : null,
    createdAt: fields.createdAt ?? '',
    history: history.map((entry) => JSON.parse(entry) as HistoryEntry),
    userData: cloneKvList(JSON.parse(fields.userData ?? '{}') as KvList),
    engaged: fields.engaged === '1',
    lastInboundAt: fields.lastInboundAt || null,
    lastOutboundAt: fields.lastOutboundAt || null,
    messageCount: Number(fields.messageCount ?? 0),
    customerName: fields.customerName || null,
  };
}
