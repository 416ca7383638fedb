import { fault } from '../esp/faults.js';
import { appleBody } from './apple-body.js';
import type { ContentType, StandardResponse, StandardResponseContent } from './catalog.js';
import { renderFieldCodes } from './field-codes.js';
import { textWithLinks } from './text-with-links.js';
import type { ChannelType, RenderContext, RenderedMessage } from './types.js';
import { whatsappTemplateBody, whatsappTextBodies } from './whatsapp-body.js';

/** Which content types each channel type can carry (docs/protocol.md#content-types). */
const CONTENT_BY_CHANNEL: Record<ChannelType, readonly ContentType[]> = {
  whatsapp: ['notification', 'text'],
  apple: ['text', 'listPicker', 'timePicker', 'richLink', 'quickReply'],
  sms: ['text'],
};

/**
 * Content a provider reached through a connector cannot carry, with the reason (docs/protocol.md#content-types).
 * Sinch's Conversation API has no message type for Apple's interactive messages (its AppMessage kinds
 * are text, media, template, choice, card, carousel, list, location and contact info), so Apple's own
 * list picker, time picker, quick reply and rich link would fail at Sinch after the invite was accepted.
 */
const CONTENT_REFUSED_BY_CONNECTOR: Record<string, Partial<Record<ContentType, string>>> = {
  sinch: {
    listPicker: "Sinch's Conversation API has no Apple list picker message",
    timePicker: "Sinch's Conversation API has no Apple time picker message",
    quickReply: "Sinch's Conversation API has no Apple quick reply message",
    // A rich link always has an image (Apple requires richLinkData.assets), which Sinch has no field for.
    richLink: "Sinch's Conversation API has no Apple rich link message, so its image would be lost",
  },
};

/** Why the channel's connector cannot carry this content, or undefined when it can. */
function connectorRefusal(content: StandardResponseContent, connectorKind: string | undefined): string | undefined {
  return connectorKind === undefined ? undefined : CONTENT_REFUSED_BY_CONNECTOR[connectorKind]?.[content.contentType];
}

/**
 * Renders a standard response for one invite into the bodies the channel type's real provider
 * takes. Field codes are rendered in the string leaves of the already-parsed JSON, so a value can
 * never change the message's structure, whatever quotes or braces it holds.
 */
export function renderStandardResponse(standardResponse: StandardResponse, context: RenderContext): RenderedMessage {
  const { id, content } = standardResponse;
  if (!CONTENT_BY_CHANNEL[context.channelType].includes(content.contentType)) {
    throw fault('unknownStandardResponse', `StandardResponseId "${id}" is ${content.contentType} content, which ${context.channelType} channels cannot send`);
  }
  const refusal = connectorRefusal(content, context.connectorKind);
  if (refusal) throw fault('unknownStandardResponse', `StandardResponseId "${id}" is ${content.contentType} content, which the ${context.connectorKind} connector of this channel cannot send: ${refusal}`);
  if (context.channelType === 'whatsapp' && content.contentType === 'text' && !context.allowFreeText) {
    throw fault(
      'unknownStandardResponse',
      `StandardResponseId "${id}" is free-form text, which reaches a WhatsApp customer only inside the 24 h window: use a notification template, or set allowFreeText on the channel`,
    );
  }
  const rendered = renderLeaves(content, context, content.defaults ?? {}) as StandardResponseContent;
  return { standardResponseId: id, contentType: content.contentType, bodies: bodiesFor(rendered, context) };
}

/**
 * An agent's own words (and attachments) for the channel: the bodies of a `text` standard response,
 * taken literally. Field codes are not rendered in them: what the agent typed is what is sent.
 */
export function renderAgentText(text: string, attachments: Array<{ url: string; name: string }>, context: RenderContext): RenderedMessage {
  const content = { contentType: 'text', text, ...(attachments.length > 0 ? { attachments } : {}) } as Extract<StandardResponseContent, { contentType: 'text' }>;
  return { standardResponseId: '', contentType: 'text', bodies: bodiesFor(content, context) };
}

function bodiesFor(content: StandardResponseContent, context: RenderContext): Array<Record<string, unknown>> {
  switch (context.channelType) {
    case 'whatsapp':
      return content.contentType === 'notification' ? [whatsappTemplateBody(content, context)] : whatsappTextBodies(content as Extract<StandardResponseContent, { contentType: 'text' }>, context);
    case 'apple':
      return [appleBody(content, context)];
    case 'sms':
      return [{ to: context.clientId, from: context.businessId, text: textWithLinks(content as Extract<StandardResponseContent, { contentType: 'text' }>) }];
  }
}

/** Template subtrees with no field code, found once per subtree: they render to themselves. */
const withoutFieldCodes = new WeakMap<object, boolean>();

function hasNoFieldCodes(node: object): boolean {
  let known = withoutFieldCodes.get(node);
  if (known === undefined) {
    known = !JSON.stringify(node).includes('<$');
    withoutFieldCodes.set(node, known);
  }
  return known;
}

/**
 * Every string leaf rendered; `defaults` and `contentType` are the template's own settings and stay.
 * Subtrees without field codes are shared with the catalog rather than copied (renders are only
 * serialised, never changed).
 */
function renderLeaves(value: unknown, context: RenderContext, defaults: Readonly<Record<string, string>>, key?: string): unknown {
  if (typeof value === 'string') return key === 'contentType' ? value : renderFieldCodes(value, context, defaults);
  if (value && typeof value === 'object' && hasNoFieldCodes(value)) return value;
  if (Array.isArray(value)) return value.map((item) => renderLeaves(item, context, defaults));
  if (value && typeof value === 'object') {
    // fromEntries defines keys, so a template key named __proto__ stays a plain key.
    return Object.fromEntries(
      Object.entries(value).map(([name, item]) => [name, name === 'defaults' ? item : renderLeaves(item, context, defaults, name)]),
    );
  }
  return value;
}
