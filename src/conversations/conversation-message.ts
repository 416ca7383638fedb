import type { InboundKind, InboundMedia } from '../connectors/inbound.js';
import type { DeliveryState, SessionError } from '../sessions/session.js';

/** One message of a session's conversation, as `GET /sessions/:id/messages` shows it. */
export interface ConversationMessage {
  /** `<sessionId>.<position>`: the invite is `.0`, later messages count up. */
  id: string;
  direction: 'in' | 'out';
  at: string;
  kind: InboundKind | 'template';
  text?: string;
  payload?: string;
  media?: InboundMedia;
  /** The provider message id this one replies to. */
  replyTo?: string;
  providerMessageId?: string;
  /** Out messages: how far the provider got it. */
  delivery?: DeliveryState;
  error?: SessionError;
  /** Out messages: `invite`, or the agent id given with the answer. */
  author?: string;
}
