import type { KvList, KvValue } from '../../src/esp/kvlist.js';
import type { EspRequest } from '../../src/esp/model.js';

/**
 * Writes one EspRequest in each wire form of docs/protocol.md#wire-forms, so that a generated request can be read
 * back from all of them. What a form cannot carry is the generator's business: XML text holds no
 * CR and no character XML 1.0 forbids, log text holds no line break in keys or values, and log
 * keys hold no single quote.
 */

export function encodeJson(request: EspRequest): string {
  return JSON.stringify({
    ...(request.referenceId === undefined ? {} : { ReferenceId: request.referenceId }),
    Request: request.request,
    ...(request.userData === undefined ? {} : { UserData: request.userData }),
  });
}

export function encodeXml(request: EspRequest): string {
  const referenceId = request.referenceId === undefined ? '' : `<ReferenceId>${request.referenceId}</ReferenceId>`;
  const userData = request.userData === undefined ? '' : `<UserData>${xmlItems(request.userData)}</UserData>`;
  return `<?xml version="1.0" encoding="UTF-8"?><Request3rdServer>${referenceId}<Request>${xmlItems(request.request)}</Request>${userData}</Request3rdServer>`;
}

function xmlItems(list: KvList): string {
  return Object.keys(list)
    .map((key) => `<kvitem><key>${escapeXml(key)}</key><value>${xmlValue(list[key] as KvValue)}</value></kvitem>`)
    .join('');
}

function xmlValue(value: KvValue): string {
  if (typeof value === 'object') return `<ValueList>${xmlItems(value)}</ValueList>`;
  if (typeof value === 'number') return `<ValueInt>${value}</ValueInt>`;
  return `<ValueString>${escapeXml(value)}</ValueString>`;
}

function escapeXml(text: string): string {
  return text.replace(/[&<>]/g, (char) => (char === '&' ? '&amp;' : char === '<' ? '&lt;' : '&gt;'));
}

/** The T-Server/URS tab style, with the first child of a list on its opener's line now and then. */
export function encodeTabLog(request: EspRequest, options: { firstChildOnOpener?: boolean } = {}): string {
  const lines = ["12:00:01.123 Trc 04541 Message Request3rdServer sent to 'DMS_01'"];
  if (request.referenceId !== undefined) lines.push(`\tAttributeReferenceID\t${request.referenceId}`);
  lines.push('\tAttributeRequest\t[212] 00 05 00 00..');
  tabItems(request.request, 2, lines, options.firstChildOnOpener ?? false);
  if (request.userData !== undefined) {
    lines.push('\tAttributeUserData\t[61] 00 02 00 00..');
    tabItems(request.userData, 2, lines, options.firstChildOnOpener ?? false);
  }
  return lines.join('\n');
}

function tabItems(list: KvList, depth: number, lines: string[], firstChildOnOpener: boolean): void {
  const indent = '\t'.repeat(depth);
  for (const key of Object.keys(list)) {
    const value = list[key] as KvValue;
    if (typeof value !== 'object') {
      lines.push(`${indent}'${key}'\t${typeof value === 'number' ? value : `'${value}'`}`);
      continue;
    }
    const children: string[] = [];
    tabItems(value, depth + 1, children, firstChildOnOpener);
    if (firstChildOnOpener && children.length > 0) {
      lines.push(`${indent}'${key}'(list)\t${children[0]!.trimStart()}`, ...children.slice(1));
    } else {
      lines.push(`${indent}'${key}'(list)`, ...children);
    }
  }
}

/** The PSDK typed style, closed by `)`. */
export function encodeTypedLog(request: EspRequest): string {
  const lines = ["12:00:01.123 Sending to 'DMS_01': 'Request3rdServer' ("];
  if (request.referenceId !== undefined) lines.push(`\tattr_ref_id [int] = ${request.referenceId}`);
  lines.push("\t'Request' [list] =");
  typedItems(request.request, 2, lines);
  if (request.userData !== undefined) {
    lines.push("\t'UserData' [list] =");
    typedItems(request.userData, 2, lines);
  }
  lines.push(')');
  return lines.join('\n');
}

function typedItems(list: KvList, depth: number, lines: string[]): void {
  const indent = '\t'.repeat(depth);
  for (const key of Object.keys(list)) {
    const value = list[key] as KvValue;
    if (typeof value === 'object') {
      lines.push(`${indent}'${key}' [list] =`);
      typedItems(value, depth + 1, lines);
    } else if (typeof value === 'number') {
      lines.push(`${indent}'${key}' [int] = ${value}`);
    } else {
      lines.push(`${indent}'${key}' [str] = "${value}"`);
    }
  }
}
