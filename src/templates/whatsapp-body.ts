import { fault } from '../esp/faults.js';
import type { StandardResponseContent } from './catalog.js';
import type { RenderContext } from './types.js';

type Notification = Extract<StandardResponseContent, { contentType: 'notification' }>;
type Text = Extract<StandardResponseContent, { contentType: 'text' }>;
type Parameter = Notification['body'] extends Array<infer P> | undefined ? P : never;

/** Fields every WhatsApp Cloud API message starts with. */
function envelope(context: RenderContext) {
  return { messaging_product: 'whatsapp', recipient_type: 'individual', to: context.clientId };
}

/**
 * A template message (`type: "template"`) as the Cloud API takes it at `/{phone-number-id}/messages`.
 * `content` is already rendered; each text parameter is checked against WhatsApp's rules here,
 * so a value WhatsApp would reject is a fault at the door rather than a failed send later.
 */
export function whatsappTemplateBody(content: Notification, context: RenderContext): Record<string, unknown> {
  const components: Array<Record<string, unknown>> = [];
  if (content.header?.length) components.push({ type: 'header', parameters: checked(content.header, 'header') });
  if (content.body?.length) components.push({ type: 'body', parameters: checked(content.body, 'body') });
  for (const button of content.buttons ?? []) {
    components.push({
      type: 'button',
      sub_type: button.sub_type,
      index: String(button.index),
      parameters: checked(button.parameters, `button ${button.index}`),
    });
  }
  const elementName = content.id.slice(content.id.indexOf('@') + 1);
  return {
    ...envelope(context),
    type: 'template',
    // Meta's schema of the language object requires `policy`; `deterministic` is its only value.
    template: { name: elementName, language: { policy: 'deterministic', code: content.language }, ...(components.length ? { components } : {}) },
  };
}

function checked(parameters: Parameter[], where: string): Parameter[] {
  return parameters.map((parameter, index) => {
    if (parameter.type === 'text') checkTextParameter(String(parameter.text ?? ''), `${where} parameter ${index + 1}`);
    if (parameter.type === 'currency') return withIntegerAmount(parameter, `${where} parameter ${index + 1}`);
    return parameter;
  });
}

/**
 * A currency parameter's `amount_1000` is an integer in the Cloud API's schema (the amount times
 * 1,000); a field code renders it as text, so it is converted after rendering. A value that is no
 * whole number is fault 1021 rather than a send WhatsApp would refuse.
 */
function withIntegerAmount(parameter: Parameter, where: string): Parameter {
  const currency = (parameter as { currency?: Record<string, unknown> }).currency;
  const amount = currency?.amount_1000;
  if (typeof amount === 'number' && Number.isSafeInteger(amount)) return parameter;
  const text = typeof amount === 'string' ? amount.trim() : '';
  if (!/^-?\d{1,15}$/.test(text)) throw fault('renderingFailed', `WhatsApp ${where}: currency.amount_1000 must be a whole number (the amount times 1,000); WhatsApp would reject it`);
  return { ...parameter, currency: { ...currency, amount_1000: Number(text) } } as Parameter;
}

/** WhatsApp refuses text parameters that are empty, hold a newline or a tab, or 5+ spaces in a row. */
export function checkTextParameter(text: string, where: string): void {
  const problem =
    text.trim() === '' ? 'is empty' : /[\n\r]/.test(text) ? 'holds a newline' : text.includes('\t') ? 'holds a tab' : / {5,}/.test(text) ? 'holds more than four spaces in a row' : undefined;
  if (problem) throw fault('renderingFailed', `WhatsApp ${where} ${problem}; WhatsApp would reject it`);
}

const IMAGE = /\.(jpe?g|png|webp)$/i;
const VIDEO = /\.(mp4|3gp)$/i;
const AUDIO = /\.(aac|amr|mp3|m4a|ogg|opus)$/i;

/** Free-form text, then one media message per attachment (WhatsApp sends media as separate messages). */
export function whatsappTextBodies(content: Text, context: RenderContext): Array<Record<string, unknown>> {
  const bodies: Array<Record<string, unknown>> = [
    { ...envelope(context), type: 'text', text: { preview_url: /https?:\/\//.test(content.text), body: content.text } },
  ];
  for (const attachment of content.attachments ?? []) {
    const kind = IMAGE.test(attachment.name) ? 'image' : VIDEO.test(attachment.name) ? 'video' : AUDIO.test(attachment.name) ? 'audio' : 'document';
    const media = kind === 'document' ? { link: attachment.url, filename: attachment.name } : { link: attachment.url };
    bodies.push({ ...envelope(context), type: kind, [kind]: media });
  }
  return bodies;
}
