import type { StandardResponseContent } from './catalog.js';

/**
 * A text response as one message for channels without attachments of their own (SMS, Apple text):
 * each attachment becomes a `name: url` line after the text, so none is dropped in silence.
 */
export function textWithLinks(content: Extract<StandardResponseContent, { contentType: 'text' }>): string {
  const links = (content.attachments ?? []).map((attachment) => `${attachment.name}: ${attachment.url}`);
  return [content.text, ...links].join('\n');
}
