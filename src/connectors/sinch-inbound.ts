import type { InboundMessage } from './inbound.js';
import type { SinchInboundMessage } from './webhook-payloads.js';

/**
 * A Sinch `MESSAGE_INBOUND` contact message as the gateway's InboundMessage (shapes from Sinch's
 * Conversation API models: `contact_message.{text_message, choice_response_message, media_message,
 * location_message, reply_to}`, the sender in `channel_identity.identity`).
 */
export function readSinchMessage(message: SinchInboundMessage, businessId: string, correlationId?: string): InboundMessage {
  const { contact_message: content, channel_identity: sender } = message;
  const replyTo = content.reply_to?.message_id ?? content.choice_response_message?.message_id;
  return {
    providerMessageId: message.id,
    clientId: phoneOrOpaque(sender.identity),
    businessId,
    at: validIso(message.accept_time) ?? new Date().toISOString(),
    ...sinchContent(content),
    ...(replyTo ? { replyToProviderMessageId: replyTo } : {}),
    // The connector sends the session id as correlation_id; Sinch echoes it on the contact's answer.
    ...(correlationId && /^[0-9A-Za-z]{16}$/.test(correlationId) ? { correlatedSessionId: correlationId } : {}),
  };
}

function sinchContent(content: SinchInboundMessage['contact_message']): Pick<InboundMessage, 'kind' | 'text' | 'payload' | 'media'> {
  if (content.text_message) return { kind: 'text', text: content.text_message.text };
  if (content.choice_response_message) return { kind: 'interactive', ...(content.choice_response_message.postback_data ? { payload: content.choice_response_message.postback_data } : {}) };
  if (content.media_message) return { kind: 'media', media: { url: content.media_message.url, ...(content.media_message.filename_override ? { filename: content.media_message.filename_override } : {}) } };
  if (content.location_message) return { kind: 'location', payload: JSON.stringify(content.location_message) };
  return { kind: 'richContent' };
}

/** Phone identities (WhatsApp, SMS) in E.164 with `+`, as `_umsClientId` holds them; others as they are. */
function phoneOrOpaque(identity: string): string {
  return /^\+?\d{7,15}$/.test(identity) ? `+${identity.replace(/^\+/, '')}` : identity;
}

function validIso(value: string | undefined): string | undefined {
  return value && !Number.isNaN(Date.parse(value)) ? new Date(value).toISOString() : undefined;
}
