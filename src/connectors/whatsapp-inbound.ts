import type { InboundMessage } from './inbound.js';
import type { WhatsAppChangeValue } from './webhook-payloads.js';

/**
 * Reads the `messages[]` of one WhatsApp Cloud API webhook change (Meta's "messages" webhook
 * reference: text, button, interactive, image/document/audio/video/sticker, location, contacts,
 * reaction) into the gateway's InboundMessage. `from` is the customer's number without `+`;
 * `contacts[].profile.name` their display name. Types the gateway does not know (`unsupported`,
 * `order`, `system` …) are kept as `richContent` with their type, so nothing is dropped in silence.
 */
type WhatsAppMessage = NonNullable<WhatsAppChangeValue['messages']>[number];

const MEDIA_TYPES = ['image', 'document', 'audio', 'video', 'sticker'] as const;

export function readWhatsAppMessages(value: Pick<WhatsAppChangeValue, 'contacts' | 'messages'>, businessId: string): InboundMessage[] {
  const names = new Map((value.contacts ?? []).map((contact) => [contact.wa_id, contact.profile?.name]));
  return (value.messages ?? []).map((message) => ({
    providerMessageId: message.id,
    clientId: `+${message.from.replace(/^\+/, '')}`,
    businessId,
    at: unixSecondsToIso(message.timestamp),
    ...content(message),
    // A reaction points at the message it reacts to, as a reply quotes one.
    ...optional('replyToProviderMessageId', message.context?.id ?? message.reaction?.message_id),
    ...optional('customerName', names.get(message.from)),
  }));
}

function content(message: WhatsAppMessage): Pick<InboundMessage, 'kind' | 'text' | 'payload' | 'media'> {
  switch (message.type) {
    case 'text':
      return { kind: 'text', ...optional('text', message.text?.body) };
    case 'button':
      return { kind: 'button', ...optional('text', message.button?.text), ...optional('payload', message.button?.payload) };
    case 'interactive': {
      const reply = message.interactive?.button_reply ?? message.interactive?.list_reply;
      return { kind: 'interactive', ...optional('text', reply?.title), ...optional('payload', reply?.id) };
    }
    case 'location':
      return { kind: 'location', payload: JSON.stringify(message.location ?? {}) };
    case 'contacts':
      return { kind: 'contacts', payload: JSON.stringify(message.contacts ?? []) };
    case 'reaction':
      return { kind: 'reaction', ...optional('payload', message.reaction?.emoji) };
  }
  const mediaType = MEDIA_TYPES.find((type) => type === message.type);
  const media = mediaType ? message[mediaType] : undefined;
  if (mediaType && media) {
    return {
      kind: 'media',
      media: { ...optional('id', media.id), ...optional('mimeType', media.mime_type), ...optional('filename', media.filename), ...optional('caption', media.caption) },
    };
  }
  return { kind: 'richContent', payload: message.type };
}

function unixSecondsToIso(timestamp: string): string {
  const seconds = Number(timestamp);
  return Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1_000).toISOString() : new Date().toISOString();
}

/** `{ [key]: value }` when the value is a non-empty string, else nothing (no `undefined` fields). */
function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value ? ({ [key]: value } as Record<K, string>) : {};
}
