import { z } from 'zod';

/**
 * The provider webhook bodies the gateway reads, as the providers publish them. Only the fields
 * read are checked; unknown extra fields are allowed (providers add fields), so a body is refused
 * only when a field the gateway uses has the wrong shape. Statuses are plain strings: a status the
 * gateway does not know (Meta `deleted`, Sinch `SWITCHING_CHANNEL`) is ignored, not refused.
 */

/** Provider message ids (wamid, Sinch message id, MSP uuid) are short; a longer one is no id. */
const messageId = z.string().min(1).max(256);
const statusName = z.string().min(1).max(64);

/** Meta's WhatsApp Cloud API webhook: `entry[].changes[].value.{metadata, statuses[]}`. */
const whatsappStatus = z.object({
  id: messageId,
  status: statusName,
  timestamp: z.string().optional(),
  recipient_id: z.string().optional(),
  errors: z
    .array(
      z.object({
        code: z.number().int(),
        title: z.string().optional(),
        message: z.string().optional(),
        error_data: z.object({ details: z.string().optional() }).optional(),
      }),
    )
    .optional(),
});

/** Meta's "messages" webhook: a customer's message of any type; the type's own object is read loosely. */
const mediaObject = z.object({ id: z.string().optional(), mime_type: z.string().optional(), caption: z.string().optional(), filename: z.string().optional() });
const whatsappMessage = z.object({
  from: z.string().regex(/^\+?\d{5,20}$/, 'must be a phone number in digits'),
  id: messageId,
  timestamp: z.string(),
  type: z.string().min(1).max(64),
  context: z.object({ id: z.string().optional(), from: z.string().optional() }).optional(),
  text: z.object({ body: z.string().optional() }).optional(),
  button: z.object({ text: z.string().optional(), payload: z.string().optional() }).optional(),
  interactive: z
    .object({
      type: z.string().optional(),
      button_reply: z.object({ id: z.string().optional(), title: z.string().optional() }).optional(),
      list_reply: z.object({ id: z.string().optional(), title: z.string().optional(), description: z.string().optional() }).optional(),
    })
    .optional(),
  image: mediaObject.optional(),
  document: mediaObject.optional(),
  audio: mediaObject.optional(),
  video: mediaObject.optional(),
  sticker: mediaObject.optional(),
  location: z.object({ latitude: z.number().optional(), longitude: z.number().optional(), name: z.string().optional(), address: z.string().optional(), url: z.string().optional() }).optional(),
  contacts: z.array(z.unknown()).optional(),
  reaction: z.object({ message_id: z.string().optional(), emoji: z.string().optional() }).optional(),
});

const whatsappChangeValue = z
  .object({
    metadata: z.object({ phone_number_id: z.string().min(1) }).optional(),
    statuses: z.array(whatsappStatus).optional(),
    contacts: z.array(z.object({ wa_id: z.string().optional(), profile: z.object({ name: z.string().optional() }).optional() })).optional(),
    messages: z.array(whatsappMessage).optional(),
  })
  .superRefine((value, context) => {
    // Statuses and messages are matched to a channel by the business number.
    if ((value.statuses || value.messages) && !value.metadata) context.addIssue({ code: 'custom', path: ['metadata'], message: 'is required with statuses or messages' });
  });

export const whatsappNotification = z.object({
  object: z.string().optional(),
  entry: z.array(z.object({ id: z.string().optional(), changes: z.array(z.object({ field: z.string().optional(), value: whatsappChangeValue })) })),
});
export type WhatsAppNotification = z.output<typeof whatsappNotification>;
export type WhatsAppStatus = z.output<typeof whatsappStatus>;
export type WhatsAppChangeValue = z.output<typeof whatsappChangeValue>;

/**
 * A contact's message in a Sinch `MESSAGE_INBOUND` callback (Sinch's Node SDK models
 * MessageInboundEventItem and ContactMessage): one of text, choice response, media or location.
 */
const sinchInboundMessage = z.object({
  id: messageId,
  direction: z.string().optional(),
  channel_identity: z.object({ channel: z.string().min(1), identity: z.string().min(1).max(256), app_id: z.string().optional() }),
  contact_message: z.object({
    reply_to: z.object({ message_id: z.string() }).nullish(),
    text_message: z.object({ text: z.string() }).optional(),
    choice_response_message: z.object({ message_id: z.string().optional(), postback_data: z.string().optional() }).optional(),
    media_message: z.object({ url: z.string(), thumbnail_url: z.string().optional(), filename_override: z.string().optional() }).optional(),
    location_message: z.object({ coordinates: z.object({ latitude: z.number(), longitude: z.number() }), title: z.string().optional(), label: z.string().optional() }).optional(),
  }),
  accept_time: z.string().optional(),
  sender_id: z.string().optional(),
});
export type SinchInboundMessage = z.output<typeof sinchInboundMessage>;

/** Sinch Conversation API callback: `app_id` and a `message_delivery_report` or an inbound `message`. */
export const sinchCallback = z.object({
  app_id: z.string().min(1),
  correlation_id: z.string().optional(),
  message: sinchInboundMessage.optional(),
  message_delivery_report: z
    .object({
      message_id: messageId,
      status: statusName,
      reason: z.object({ code: z.string().optional(), description: z.string().optional(), sub_code: z.string().optional() }).optional(),
    })
    .optional(),
});
export type SinchCallback = z.output<typeof sinchCallback>;

/** A customer's message through an Apple MSP: `{type: "message", id, sourceId, destinationId, body?, interactiveData?}`. */
export const appleInboundMessage = z.object({
  type: z.literal('message'),
  id: messageId,
  sourceId: z.string().min(1).max(256),
  destinationId: z.string().min(1).max(256),
  body: z.string().optional(),
  interactiveData: z.unknown().optional(),
});
export type AppleInboundMessage = z.output<typeof appleInboundMessage>;

/**
 * A customer's message through the `webhook` connector (an SMS aggregator, an in-house channel):
 * `{id, from, to, text?, attachments?: [{url, mimeType?, name?}], replyTo?}`.
 */
export const webhookInboundMessage = z
  .object({
    id: messageId,
    from: z.string().min(1).max(256),
    to: z.string().min(1).max(256),
    text: z.string().max(4_096).optional(),
    attachments: z.array(z.object({ url: z.string().min(1).max(2_048), mimeType: z.string().max(128).optional(), name: z.string().max(256).optional() })).max(10).optional(),
    replyTo: z.string().min(1).max(256).optional(),
  })
  .refine((message) => message.text !== undefined || (message.attachments?.length ?? 0) > 0, { message: 'needs a text or an attachment', path: ['text'] });
export type WebhookInboundMessage = z.output<typeof webhookInboundMessage>;

/** The neutral Apple MSP status report (README): `{id, status, destinationId?, code?}`. */
export const appleStatusReport = z.object({
  id: messageId,
  status: statusName,
  destinationId: z.string().optional(),
  code: z.number().int().optional(),
});
export type AppleStatusReport = z.output<typeof appleStatusReport>;

export type PayloadReading<T> = { ok: true; value: T } | { ok: false; problem: string };

/**
 * Reads a webhook body with its schema: the value, or one sentence naming the first bad field by its
 * path (`entry[0].changes must be an array`). The sentence never quotes the body's values.
 */
export function readPayload<T>(schema: z.ZodType<T>, raw: Buffer): PayloadReading<T> {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return { ok: false, problem: 'the body is not JSON' };
  }
  const result = schema.safeParse(body);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0]!;
  return { ok: false, problem: describeIssue(issue, body) };
}

function describeIssue(issue: z.core.$ZodIssue, body: unknown): string {
  const where = issue.path.length === 0 ? 'the body' : fieldPath(issue.path);
  switch (issue.code) {
    case 'invalid_type':
      if (issue.path.length > 0 && valueAt(body, issue.path) === undefined) return `${where} is required`;
      return `${where} must be ${withArticle(issue.expected)}`;
    case 'too_small':
      return issue.origin === 'string' ? `${where} must not be empty` : `${where} is too small`;
    case 'too_big':
      return issue.origin === 'string' ? `${where} must be at most ${String(issue.maximum)} characters` : `${where} is too large`;
    case 'custom':
      return `${where} ${issue.message}`;
    default:
      return `${where} is not valid`;
  }
}

/** `['entry', 0, 'changes']` → `entry[0].changes`. */
export function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`)).join('');
}

function valueAt(body: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let value: unknown = body;
  for (const part of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

function withArticle(expected: string): string {
  if (expected === 'int') return 'an integer';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}
