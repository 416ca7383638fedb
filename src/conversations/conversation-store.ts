import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { InboundMessage } from '../connectors/inbound.js';
import type { RedisKeys } from '../redis/keys.js';
import type { Session } from '../sessions/session.js';
import { hashCustomer, sessionRecord } from '../sessions/session-store.js';
import type { ConversationMessage } from './conversation-message.js';
import { RECORD_INBOUND, RECORD_INBOUND_SIGNATURE } from './scripts.js';

/** A provider may deliver a message again for days; its id is remembered this long. */
const SEEN_TTL_SECONDS = 7 * 24 * 3_600;

/** The channel a customer wrote to, as the conversation needs it. */
export interface InboundChannel {
  tenant: number;
  name: string;
  type: string;
  /** `<tenant>:<endpoint>` of the channel's inbound chat queue (`inboundRouteByCall`). */
  inboundRouteByCall: string;
}

export type InboundOutcome =
  | { kind: 'recorded'; sessionId: string; created: boolean; messageId: string }
  | { kind: 'duplicate'; messageId: string };

export interface ConversationLimits {
  sessionTtlSeconds: number;
  chatQueueMaxLen: number;
  /** Approximate MAXLEN of each tenant's events stream. */
  eventsMaxLen: number;
}

type ScriptedRedis = Redis & { igRecordInbound(...args: Array<string | number>): Promise<string[]> };

/** Transcripts in Redis: a list of messages per session, beside the session hash, with its TTL. */
export class ConversationStore {
  private readonly redis: ScriptedRedis;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
    private readonly limits: ConversationLimits,
  ) {
    const scripted = redis as unknown as Partial<ScriptedRedis>;
    if (typeof scripted.igRecordInbound !== 'function') redis.defineCommand('igRecordInbound', { numberOfKeys: RECORD_INBOUND_SIGNATURE.numberOfKeys, lua: RECORD_INBOUND });
    this.redis = redis as ScriptedRedis;
  }

  /** Records a customer's message on its session (`RECORD_INBOUND`); `newSessionId` is used only when none fits. */
  async recordInbound(channel: InboundChannel, message: InboundMessage, newSessionId: string, now = new Date()): Promise<InboundOutcome> {
    const at = now.toISOString();
    const [endpointTenant, ...endpoint] = channel.inboundRouteByCall.split(':');
    const newSession = {
      sessionId: newSessionId,
      tenant: channel.tenant,
      channel: channel.name,
      channelType: channel.type,
      type: 'Inbound' as const,
      subtype: 'InboundNew' as const,
      chatQueueKey: channel.inboundRouteByCall,
      terminate: false,
      clientId: message.clientId,
      businessId: message.businessId,
      standardResponseId: null,
      createdAt: at,
      userData: {},
    };
    const chatQueueEntry = {
      sessionId: newSessionId,
      channel: channel.name,
      clientId: message.clientId,
      businessId: message.businessId,
      type: 'Inbound',
      subtype: 'InboundNew',
      userData: '{}',
      at,
    };
    const [kind, first = '', created, messageId = ''] = await this.redis.igRecordInbound(
      ...RECORD_INBOUND_SIGNATURE.encode(
        {
          seenKey: this.keys.inboundSeen(channel.tenant, channel.name, hash(message.providerMessageId)),
          quotedIndexKey: message.replyToProviderMessageId ? this.keys.providerMessage(channel.tenant, channel.name, message.replyToProviderMessageId) : '',
          customerSessionKey: this.keys.customerSession(channel.tenant, channel.name, hashCustomer(message.businessId, message.clientId)),
          eventsKey: this.keys.tenantEvents(channel.tenant),
          newSessionKey: this.keys.session(newSessionId),
          newHistoryKey: this.keys.sessionHistory(newSessionId),
          inboundQueueKey: this.keys.chatQueue(Number(endpointTenant), endpoint.join(':')),
        },
        {
          at,
          sessionTtlSeconds: this.limits.sessionTtlSeconds,
          seenTtlSeconds: SEEN_TTL_SECONDS,
          tenant: channel.tenant,
          channel: channel.name,
          messageJson: JSON.stringify(inboundRecord(message)),
          newSessionFieldsJson: JSON.stringify(sessionRecord(newSession, 'open', 'none')),
          newSessionId,
          chatQueueFieldsJson: JSON.stringify(Object.entries(chatQueueEntry).flat()),
          chatQueueMaxLen: this.limits.chatQueueMaxLen,
          eventsMaxLen: this.limits.eventsMaxLen,
          customerName: message.customerName ?? '',
          correlatedSessionId: message.correlatedSessionId ?? '',
        },
      ),
    );
    if (kind === 'duplicate') return { kind, messageId: first };
    return { kind: 'recorded', sessionId: first, created: created === '1', messageId };
  }

  /**
   * One page of a session's conversation, oldest first. Position 0 is the invite's own message
   * (read from the session, which tracks its delivery); the customer's and agents' messages follow.
   * `after` is the position of the last message already seen (the `next` of the previous page).
   */
  async messages(session: Session, after: number | undefined, limit: number): Promise<{ messages: ConversationMessage[]; next: number | null }> {
    const from = after === undefined ? 0 : after + 1;
    const invite = session.standardResponseId ? inviteMessage(session) : undefined;
    const pageStart = Math.max(from, 1);
    const stored = await this.redis.lrange(this.keys.sessionMessages(session.sessionId), pageStart - 1, pageStart - 1 + limit - (from === 0 && invite ? 1 : 0));
    const page: Array<{ position: number; message: ConversationMessage }> = [];
    if (from === 0 && invite) page.push({ position: 0, message: invite });
    stored.forEach((entry, i) => page.push({ position: pageStart + i, message: JSON.parse(entry) as ConversationMessage }));
    // One more was read than fits: it tells whether a next page exists.
    const more = page.length > limit;
    const shown = page.slice(0, limit);
    return { messages: shown.map((entry) => entry.message), next: more ? (shown.at(-1)?.position ?? null) : null };
  }
}

/** What the transcript keeps of a customer's message (its id is given by the script). */
function inboundRecord(message: InboundMessage): Omit<ConversationMessage, 'id'> {
  return {
    direction: 'in',
    at: message.at,
    kind: message.kind,
    ...(message.text ? { text: message.text } : {}),
    ...(message.payload ? { payload: message.payload } : {}),
    ...(message.media ? { media: message.media } : {}),
    ...(message.replyToProviderMessageId ? { replyTo: message.replyToProviderMessageId } : {}),
    providerMessageId: message.providerMessageId,
  };
}

/** The invite as the first `out` message of its conversation. */
function inviteMessage(session: Session): ConversationMessage {
  return {
    id: `${session.sessionId}.0`,
    direction: 'out',
    at: session.createdAt,
    kind: 'template',
    ...(session.providerMessageId ? { providerMessageId: session.providerMessageId } : {}),
    delivery: session.delivery,
    ...(session.error ? { error: session.error } : {}),
    author: 'invite',
  };
}

function hash(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 32);
}
