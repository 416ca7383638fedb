/**
 * A customer's message as every connector hands it to the conversation (docs/protocol.md,
 * conversations): one shape whatever the provider, so the rest of the gateway never reads a
 * provider's payload.
 */
export type InboundKind = 'text' | 'button' | 'interactive' | 'media' | 'location' | 'contacts' | 'reaction' | 'richContent';

export interface InboundMedia {
  /** The provider's media id (WhatsApp) or a URL (Sinch, webhook connector). */
  id?: string;
  url?: string;
  mimeType?: string;
  filename?: string;
  caption?: string;
}

export interface InboundMessage {
  /** The provider's id of this message: a message delivered twice is recorded once. */
  providerMessageId: string;
  /** The customer: E.164 with `+` on phone channels, the provider's opaque id on Apple. */
  clientId: string;
  /** The business number or id the customer wrote to (one of the channel's `businessIds`). */
  businessId: string;
  /** When the provider says the customer sent it (ISO 8601). */
  at: string;
  kind: InboundKind;
  text?: string;
  /** A button's or list row's payload / id, a reaction's emoji, a location or contact card as JSON. */
  payload?: string;
  media?: InboundMedia;
  /** The provider message id the customer replied to (WhatsApp `context.id`, Sinch `reply_to`). */
  replyToProviderMessageId?: string;
  /** The session the provider ties the message to (Sinch echoes the `correlation_id` we sent: the session id). */
  correlatedSessionId?: string;
  /** The display name the provider gives for the customer (WhatsApp `contacts[].profile.name`). */
  customerName?: string;
}
