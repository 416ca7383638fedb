import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema.js';
import type { InboundMessage } from '../connectors/inbound.js';
import type { ConversationStore } from './conversation-store.js';

export interface InboundReceiverDependencies {
  config: GatewayConfig;
  conversations: ConversationStore;
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
    return 'applied';
  }
}
