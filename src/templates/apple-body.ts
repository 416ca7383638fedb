import { createHash } from 'node:crypto';
import type { StandardResponseContent } from './catalog.js';
import { textWithLinks } from './text-with-links.js';
import type { RenderContext } from './types.js';

/** The Messages extension that shows Apple's built-in interactive messages. */
const INTERACTIVE_BID = 'com.apple.messages.MSMessageExtensionBalloonPlugin:0000000000:com.apple.icloud.apps.messages.business.extension';

/**
 * A UUID derived from the session id, so the same invite renders the same MSP body every time
 * (dry-run renders compare across runs, and a retried send keeps its message id).
 */
export function deterministicUuid(sessionId: string, purpose: string): string {
  const hex = createHash('sha1').update(`${purpose}:${sessionId}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The MSP message of docs/protocol.md#provider-bodies: `{v:1, id, type, sourceId, destinationId, body, ...}`. */
export function appleBody(content: StandardResponseContent, context: RenderContext): Record<string, unknown> {
  const base = {
    v: 1,
    id: deterministicUuid(context.sessionId, 'message'),
    sourceId: context.businessId,
    destinationId: context.clientId,
  };
  const requestIdentifier = deterministicUuid(context.sessionId, 'request');
  switch (content.contentType) {
    case 'text':
      return { ...base, type: 'text', body: textWithLinks(content) };
    case 'richLink':
      return {
        ...base,
        type: 'richLink',
        body: content.url,
        // An image given by `url` stays `{url, mimeType}` here: the Apple connector fetches it at send
        // time and sends Apple's `{data, mimeType}` (src/connectors/apple-rich-link-image.ts).
        richLinkData: { url: content.url, title: content.title, assets: { image: content.image } },
      };
    case 'listPicker':
      return interactive(base, content.title, {
        bid: INTERACTIVE_BID,
        data: {
          version: '1.0',
          requestIdentifier,
          listPicker: {
            sections: content.sections.map((section, order) => ({
              order,
              title: section.title,
              multipleSelection: section.multipleSelection ?? false,
              items: section.items.map((item, itemOrder) => ({ identifier: item.identifier, order: itemOrder, style: 'default', title: item.title, ...(item.subtitle ? { subtitle: item.subtitle } : {}) })),
            })),
          },
        },
        // The list's own subtitle is shown where Apple shows one: under the received bubble's title,
        // unless the template gave that bubble a subtitle of its own.
        receivedMessage: bubble({ subtitle: content.subtitle, ...content.receivedMessage }),
        replyMessage: bubble(content.replyMessage),
      });
    case 'timePicker':
      return interactive(base, content.title, {
        bid: INTERACTIVE_BID,
        data: {
          version: '1.0',
          requestIdentifier,
          event: {
            identifier: deterministicUuid(context.sessionId, 'event'),
            title: content.title,
            timezoneOffset: content.timezoneOffset,
            timeslots: content.timeslots,
          },
        },
        receivedMessage: bubble(content.receivedMessage ?? { title: content.title }),
        replyMessage: bubble(content.replyMessage ?? { title: content.title }),
      });
    case 'quickReply':
      return interactive(base, content.summaryText, {
        bid: INTERACTIVE_BID,
        data: { version: '1.0', requestIdentifier, 'quick-reply': { summaryText: content.summaryText, items: content.items } },
      });
    case 'notification':
      throw new Error('notification templates are WhatsApp only; render.ts refuses them before');
  }
}

type Bubble = { title: string; subtitle?: string | undefined; style?: string | undefined };

/** A `receivedMessage` / `replyMessage` as Apple takes it: the template's style, `icon` by default; no empty keys. */
function bubble(template: Bubble): Record<string, unknown> {
  const { title, subtitle, style } = template;
  return { title, ...(subtitle ? { subtitle } : {}), style: style ?? 'icon' };
}

function interactive(base: Record<string, unknown>, body: string, interactiveData: Record<string, unknown>): Record<string, unknown> {
  return { ...base, type: 'interactive', body, interactiveData };
}
