import type { Session } from '../sessions/session.js';
import type { RenderedMessage } from '../templates/types.js';
import type { InboundMessage } from './inbound.js';

/** What a provider answered to an accepted send. */
export interface SendAccepted {
  /** The provider's message id (WhatsApp wamid, Sinch message_id, …), used to match status reports. */
  providerMessageId: string;
}

/** A status report about a sent message, as providers deliver them later. */
export interface StatusReport {
  sessionId: string;
  /**
   * The provider's id of the message (with its channel): the report then concerns that message,
   * the invite or an agent's answer, found as a provider webhook's report would be.
   */
  providerMessage?: { providerMessageId: string; tenant: number; channel: string };
  delivery: 'delivered' | 'read' | 'failed';
  /** The provider's own error code: WhatsApp's number, Sinch's `reason.code` name. */
  providerCode?: number | string;
  /** The outcome name when the connector's own table classified the code (Sinch); else it is WhatsApp's number, classified by its table. */
  outcome?: string;
  message?: string;
}

/** Where connectors hand status reports (the sandbox calls it itself; real ones via webhooks). */
export type StatusSink = (report: StatusReport) => Promise<void>;

/** Where a connector hands a customer's message it produced itself (the sandbox's simulated replies). */
export type InboundSink = (target: { tenant: number; channel: string }, message: InboundMessage) => Promise<unknown>;

/**
 * One provider. `send` resolves when the provider accepted the message and throws a
 * `DeliveryFailure` (connectors/delivery-failure.ts) when it did not.
 */
export interface Connector {
  readonly kind: string;
  send(message: RenderedMessage, session: Session): Promise<SendAccepted>;
  close?(): Promise<void>;
}
