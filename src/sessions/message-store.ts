import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/keys.js';
import { APPEND_OUTBOUND, APPEND_OUTBOUND_SIGNATURE, CLAIM_OUTBOUND, CLAIM_OUTBOUND_SIGNATURE, OUTBOUND_DELIVERY, OUTBOUND_DELIVERY_SIGNATURE } from './message-scripts.js';
import type { DeliveryState, SessionError } from './session.js';

/** An agent's message as the transcript keeps it (`GET /sessions/:id/messages` shows it). */
export interface OutboundRecord {
  direction: 'out';
  at: string;
  kind: 'text' | 'template';
  text?: string;
  standardResponseId?: string;
  attachments?: Array<{ url: string; name?: string }>;
  author?: string;
  delivery: 'pending';
}

export type AppendOutcome = { kind: 'appended'; messageId: string; position: number } | { kind: 'ended'; state: string } | { kind: 'gone' };

export type OutboundClaim =
  | { kind: 'gone' }
  | { kind: 'skipped'; delivery: string }
  | { kind: 'held'; reason: string }
  | { kind: 'wait'; retryInMs: number }
  | { kind: 'claimed'; waitMs: number; unknownOutcome: boolean };

/** `<sessionId>.<position>` of an out message, split. */
export function parseMessageId(messageId: string): { sessionId: string; position: number } | undefined {
  const match = /^(\w+)\.(\d+)$/.exec(messageId);
  return match ? { sessionId: match[1]!, position: Number(match[2]) } : undefined;
}

type ScriptedRedis = Redis & {
  igAppendOutbound(...args: Array<string | number>): Promise<string[]>;
  igClaimOutbound(...args: Array<string | number>): Promise<string[]>;
  igOutboundDelivery(...args: Array<string | number>): Promise<number>;
};

/**
 * The messages agents send inside a conversation: appended to the session's transcript, claimed
 * by a worker for each send attempt (paced like invites), and moved by the provider's answers and
 * status reports like the invite's own delivery.
 */
export class MessageStore {
  private readonly redis: ScriptedRedis;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
    private readonly limits: { sessionTtlSeconds: number; eventsMaxLen: number },
  ) {
    const scripted = redis as unknown as Partial<ScriptedRedis>;
    if (typeof scripted.igAppendOutbound !== 'function') {
      redis.defineCommand('igAppendOutbound', { numberOfKeys: APPEND_OUTBOUND_SIGNATURE.numberOfKeys, lua: APPEND_OUTBOUND });
      redis.defineCommand('igClaimOutbound', { numberOfKeys: CLAIM_OUTBOUND_SIGNATURE.numberOfKeys, lua: CLAIM_OUTBOUND });
      redis.defineCommand('igOutboundDelivery', { numberOfKeys: OUTBOUND_DELIVERY_SIGNATURE.numberOfKeys, lua: OUTBOUND_DELIVERY });
    }
    this.redis = redis as ScriptedRedis;
  }

  async append(sessionId: string, message: OutboundRecord): Promise<AppendOutcome> {
    const [kind, first = '', position = '0'] = await this.redis.igAppendOutbound(
      ...APPEND_OUTBOUND_SIGNATURE.encode({ sessionKey: this.keys.session(sessionId), transcriptKey: this.keys.sessionMessages(sessionId) }, { messageJson: JSON.stringify(message) }),
    );
    if (kind === 'appended') return { kind, messageId: first, position: Number(position) };
    if (kind === 'ended') return { kind, state: first };
    return { kind: 'gone' };
  }

  async claim(messageId: string, route: { tenant: number; channel: string; businessId: string }, request: { attempt: number; credentialsFingerprint: string; perSecond: number; maxSleepMs: number }): Promise<OutboundClaim> {
    const parsed = parseMessageId(messageId);
    if (!parsed) return { kind: 'gone' };
    const [kind, first = '', unknownOutcome] = await this.redis.igClaimOutbound(
      ...CLAIM_OUTBOUND_SIGNATURE.encode(
        {
          transcriptKey: this.keys.sessionMessages(parsed.sessionId),
          holdKey: this.keys.channelHold(route.tenant, route.channel),
          pacingKey: this.keys.pacing(route.tenant, route.channel, route.businessId),
          statsKey: this.keys.deliveryStats(),
        },
        { position: parsed.position, credentialsFingerprint: request.credentialsFingerprint, intervalMs: 1_000 / request.perSecond, maxSleepMs: request.maxSleepMs, attempt: request.attempt },
      ),
    );
    switch (kind) {
      case 'claimed':
        return { kind, waitMs: Number(first), unknownOutcome: unknownOutcome === '1' };
      case 'skipped':
        return { kind, delivery: first };
      case 'held':
        return { kind, reason: first };
      case 'wait':
        return { kind, retryInMs: Number(first) };
      default:
        return { kind: 'gone' };
    }
  }

  /**
   * Moves an out message's delivery; with `providerMessageId` (on `sent`), indexes it for status
   * reports of its channel. `settleAttempt`: the provider answered this attempt, it is no longer in flight.
   */
  async recordDelivery(
    messageId: string,
    route: { tenant: number; channel: string },
    change: { delivery: DeliveryState; providerMessageId?: string; error?: SessionError; settleAttempt?: boolean },
  ): Promise<boolean> {
    const parsed = parseMessageId(messageId);
    if (!parsed) return false;
    const fields = { ...(change.providerMessageId ? { providerMessageId: change.providerMessageId } : {}), ...(change.error ? { error: change.error } : {}) };
    const applied = await this.redis.igOutboundDelivery(
      ...OUTBOUND_DELIVERY_SIGNATURE.encode(
        {
          transcriptKey: this.keys.sessionMessages(parsed.sessionId),
          sessionKey: this.keys.session(parsed.sessionId),
          eventsKey: this.keys.tenantEvents(route.tenant),
          providerMessageKey: change.providerMessageId ? this.keys.outboundMessage(route.tenant, route.channel, change.providerMessageId) : '',
        },
        {
          position: parsed.position,
          toDelivery: change.delivery,
          fieldsJson: JSON.stringify(fields),
          at: new Date().toISOString(),
          indexTtlSeconds: this.limits.sessionTtlSeconds,
          eventsMaxLen: this.limits.eventsMaxLen,
          settleAttempt: change.settleAttempt ? '1' : '0',
        },
      ),
    );
    return applied === 1;
  }

  /** The out message a provider's message id of one channel stands for. */
  async messageOfProviderMessage(tenant: number, channel: string, providerMessageId: string): Promise<string | undefined> {
    return (await this.redis.get(this.keys.outboundMessage(tenant, channel, providerMessageId))) ?? undefined;
  }
}
