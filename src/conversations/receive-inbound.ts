import type { Logger } from 'pino';
import type { ChannelConfig, GatewayConfig, TenantConfig } from '../config/schema.js';
import type { InboundMessage } from '../connectors/inbound.js';
import type { SessionStore } from '../sessions/session-store.js';
import type { ConversationAnswers } from './answer.js';
import type { ConversationStore } from './conversation-store.js';

export interface InboundReceiverDependencies {
  config: GatewayConfig;
  conversations: ConversationStore;
  /** Suppressions (opt-out and opt-in keywords). */
  store: SessionStore;
  /** Sends the channel's `optOutReply`. */
  answers: ConversationAnswers;
  /** Session ids for the sessions customers open by writing first. */
  ids: { next(): string };
  logger: Logger;
}

/** What became of one customer message: recorded, a repeat of one already recorded, or not ours. */
export type InboundResult = 'applied' | 'duplicate' | 'unknown';

/**
 * The entry of every customer message, whatever the provider: the webhook routes have checked the
 * signature and found the signing channel; this records the message on its session. The log says
 * which session and what kind of message, never its text, caption or media id.
 */
export class InboundReceiver {
  constructor(private readonly deps: InboundReceiverDependencies) {}

  async receive(target: { tenant: number; channel: string }, message: InboundMessage): Promise<InboundResult> {
    const tenant = this.deps.config.tenants.find((candidate) => candidate.id === target.tenant);
    const channel = tenant?.channels.find((candidate) => candidate.name === target.channel);
    if (!channel || !channel.businessIds.includes(message.businessId)) return 'unknown';
    const outcome = await this.deps.conversations.recordInbound(
      { tenant: target.tenant, name: channel.name, type: channel.type, inboundRouteByCall: channel.inboundRouteByCall },
      message,
      this.deps.ids.next(),
    );
    if (outcome.kind === 'duplicate') return 'duplicate';
    this.deps.logger.info({ tenant: target.tenant, channel: channel.name, sessionId: outcome.sessionId, messageId: outcome.messageId, kind: message.kind, newSession: outcome.created }, 'customer message received');
    await this.applyKeywords(tenant!, channel, outcome.sessionId, message);
    return 'applied';
  }

  /**
   * An opt-out keyword suppresses the customer on the channel (later invites and campaign rows are
   * refused with 1022 naming the opt-out) and, the first time, answers the channel's `optOutReply`;
   * an opt-in keyword lifts it. The message itself is recorded and forwarded like any other.
   */
  private async applyKeywords(tenant: TenantConfig, channel: ChannelConfig, sessionId: string, message: InboundMessage): Promise<void> {
    if (message.kind !== 'text' || !message.text) return;
    const word = message.text.trim().toUpperCase();
    const { store, logger } = this.deps;
    if (channel.optOutKeywords.some((keyword) => keyword.toUpperCase() === word)) {
      const first = await store.suppressRecipient(tenant.id, channel.name, message.clientId, 'opt_out_keyword');
      logger.info({ tenant: tenant.id, channel: channel.name, sessionId, alreadySuppressed: !first }, 'customer opted out');
      if (first && channel.optOutReply) {
        await this.deps.answers.answer(tenant, sessionId, { text: channel.optOutReply, author: 'opt-out' }).catch((error: Error) => logger.warn({ sessionId, err: error.message }, 'the opt-out reply could not be sent'));
      }
    } else if (channel.optInKeywords.some((keyword) => keyword.toUpperCase() === word)) {
      if (await store.liftSuppression(tenant.id, channel.name, message.clientId)) logger.info({ tenant: tenant.id, channel: channel.name, sessionId }, 'customer opted in again');
    }
  }
}
