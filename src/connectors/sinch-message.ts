import { DeliveryFailure } from './delivery-failure.js';
import type { RenderedMessage } from '../templates/types.js';

type Body = Record<string, any>;

/** A Sinch Conversation API `AppMessage`: one of `text_message`, `media_message`, `template_message`. */
export type SinchAppMessage = Record<string, unknown>;

/**
 * The rendered bodies (WhatsApp Cloud API, Apple MSP or SMS shapes) as Sinch AppMessages, one per
 * body in sending order: a WhatsApp text with attachments is a `text_message`, then one
 * `media_message` per attachment, as the Cloud API connector sends them. A body Sinch cannot carry
 * fails the send (`template_rejected`) rather than being left out.
 */
export function sinchMessages(message: RenderedMessage, channel: string): SinchAppMessage[] {
  return message.bodies.map((body: Body) => sinchMessage(body, message.contentType, channel));
}

function sinchMessage(body: Body, contentType: string, channel: string): SinchAppMessage {
  if (body.type === 'template') return { template_message: { channel_template: { WHATSAPP: whatsappTemplate(body) } } };
  if (body.type === 'text' && typeof body.text?.body === 'string') return { text_message: { text: body.text.body } };
  const media = ['image', 'video', 'audio', 'document'].includes(body.type) ? (body[body.type] as Body | undefined) : undefined;
  if (typeof media?.link === 'string') return { media_message: { url: media.link, ...(typeof media.filename === 'string' ? { filename_override: media.filename } : {}) } };
  if (channel === 'APPLEBC' && body.type === 'text' && typeof body.body === 'string') return { text_message: { text: body.body } };
  if (channel === 'SMS' && typeof body.text === 'string') return { text_message: { text: body.text } };
  throw new DeliveryFailure('template_rejected', false, `the Sinch connector cannot send ${contentType} content on ${channel}`);
}

/**
 * A rendered Cloud API template as Sinch's WhatsApp channel template. Parameter keys follow Sinch's
 * grammar `<component>[<button index>]<sub type>[<parameter index>]<field>`, the field being the
 * parameter's property path in WhatsApp's template parameter object: `header[1]text`,
 * `header[1]image.link`, `header[1]document.filename`, `body[2]currency.amount_1000`,
 * `body[3]date_time.fallback_value`, `button[0]url[1]text`, `button[1]quick_reply[1]payload`.
 * Every rendered parameter becomes one or more keys: Sinch fails a template missing any of them.
 */
function whatsappTemplate(body: Body): Body {
  const parameters: Record<string, string> = {};
  for (const component of (body.template?.components ?? []) as Body[]) {
    const prefix = component.type === 'button' ? `button[${component.index}]${component.sub_type}` : String(component.type);
    (component.parameters as Body[]).forEach((parameter, index) => {
      for (const [field, value] of parameterFields(parameter)) parameters[`${prefix}[${index + 1}]${field}`] = value;
    });
  }
  return { template_id: body.template?.name, language_code: body.template?.language?.code, parameters };
}

/** A Cloud API template parameter's fields as `[path, value]`: `text`, `image.link`, `currency.code`, … */
function parameterFields(parameter: Body): Array<[string, string]> {
  const type = String(parameter.type);
  const value = parameter[type];
  if (typeof value === 'string') return [[type, value]];
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const fields = Object.entries(value as Body).filter(([, field]) => typeof field === 'string' || typeof field === 'number');
    if (fields.length > 0) return fields.map(([name, field]) => [`${type}.${name}`, String(field)]);
  }
  throw new DeliveryFailure('template_rejected', false, `the Sinch connector cannot send a WhatsApp template parameter of type ${type}`);
}
