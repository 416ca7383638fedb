import sax from 'sax';
import { Parser } from 'xml2js';
import { fault } from './faults.js';
import { espRequestFromList } from './json-form.js';
import { addEntry, isKvList, newKvList, type KvList, type KvValue } from './kvlist.js';
import type { EspReply, EspRequest } from './model.js';

/**
 * The XML form of domain.md 2.1: `<Request3rdServer><ReferenceId>7</ReferenceId><Request>kvitem*
 * </Request><UserData>kvitem*</UserData></Request3rdServer>`, kvitems as in 1.3.
 *
 * xml2js is lenient where we must not be: it answers with the first root and drops what follows
 * (a second root, stray text), and it keeps `__proto__` as a key. So a strict sax pass checks
 * well-formedness first, DTDs are refused, and the shape is walked element by element against the
 * names the form allows.
 */

export function parseXmlRequest(text: string): EspRequest {
  if (/<!(DOCTYPE|ENTITY)/i.test(text)) throw fault('bodyUnreadable', 'the XML body may not declare a DOCTYPE or entities');
  const document = parseWellFormed(text);
  const rootNames = Object.keys(document);
  if (rootNames.length !== 1 || rootNames[0] !== 'Request3rdServer') {
    throw fault('bodyUnreadable', `the XML root element must be Request3rdServer, not ${rootNames.join(', ') || 'nothing'}`);
  }
  const top = readElements(document.Request3rdServer, 'Request3rdServer', {
    ReferenceId: (node, path) => textOf(node, path),
    Request: (node, path) => readKvItems(node, path),
    UserData: (node, path) => readKvItems(node, path),
  });
  return espRequestFromList(top, 'XML');
}

/** Best effort, for faults about an unreadable body. */
export function peekXmlReferenceId(text: string): number | undefined {
  const match = /<ReferenceId>\s*(-?\d{1,10})\s*<\/ReferenceId>/.exec(text);
  return match ? Number(match[1]) : undefined;
}

type XmlNode = string | { [name: string]: unknown };

function parseWellFormed(text: string): Record<string, unknown> {
  if (text.trim() === '') throw fault('bodyUnreadable', 'the XML body is empty');
  checkWellFormed(text);
  let result: Record<string, unknown> | undefined;
  let failure: Error | undefined;
  // async: false makes xml2js call back before parseString returns.
  new Parser({ explicitArray: true, async: false, strict: true }).parseString(text, (error: Error | null, parsed: Record<string, unknown> | null) => {
    if (error) failure ??= error;
    else result ??= parsed ?? undefined;
  });
  if (failure || !result) throw fault('bodyUnreadable', `the body is not well-formed XML: ${failure?.message.split('\n')[0] ?? 'no root element'}`);
  return result;
}

/** Strict sax pass over the whole text: one root, nothing but comments and whitespace around it. */
function checkWellFormed(text: string): void {
  const parser = sax.parser(true);
  let problem: string | undefined;
  parser.onerror = (error) => {
    problem ??= error.message.split('\n')[0];
    (parser as { error: Error | null }).error = null;
    parser.resume();
  };
  parser.write(text).close();
  if (problem) throw fault('bodyUnreadable', `the body is not well-formed XML: ${problem}`);
}

type ElementReader = (node: XmlNode, path: string) => KvValue;

/** Reads an element whose children are the named elements, each at most once. */
function readElements(node: unknown, path: string, readers: Record<string, ElementReader>): KvList {
  const list = newKvList();
  if (node === '') return list;
  for (const [name, children] of childrenOf(node, path)) {
    const reader = Object.hasOwn(readers, name) ? readers[name] : undefined;
    if (!reader) throw fault('bodyUnreadable', `${path} may not contain <${name}> (allowed: ${Object.keys(readers).join(', ')})`);
    if (children.length !== 1) throw fault('bodyUnreadable', `${path} has ${children.length} <${name}> elements; one is allowed`);
    list[name] = reader(children[0] as XmlNode, `${path}/${name}`);
  }
  return list;
}

/** The child elements of an element; text mixed between them is an error. */
function childrenOf(node: unknown, path: string): Array<[string, unknown[]]> {
  if (typeof node === 'string') {
    if (node.trim() === '') return [];
    throw fault('bodyUnreadable', `${path} holds text where elements belong`);
  }
  const entries: Array<[string, unknown[]]> = [];
  for (const name of Object.keys(node as object)) {
    const value = (node as Record<string, unknown>)[name];
    if (name === '$') continue; // attributes (namespaces and the like) carry no ESP meaning
    if (name === '_') {
      if (String(value).trim() !== '') throw fault('bodyUnreadable', `${path} holds text where elements belong`);
      continue;
    }
    entries.push([name, value as unknown[]]);
  }
  return entries;
}

function textOf(node: XmlNode, path: string): string {
  if (typeof node === 'string') return node;
  const names = Object.keys(node).filter((name) => name !== '$');
  if (names.length === 0) return '';
  if (names.length === 1 && names[0] === '_') return String(node._);
  throw fault('bodyUnreadable', `${path} must hold text, not elements`);
}

/** `kvitem*` into a list; a repeated key keeps its first value, as ESP lists do. */
function readKvItems(node: XmlNode, path: string): KvList {
  const list = newKvList();
  for (const [name, items] of childrenOf(node, path)) {
    if (name !== 'kvitem') throw fault('bodyUnreadable', `${path} may only contain <kvitem>, not <${name}>`);
    items.forEach((item, index) => {
      const itemPath = `${path}/kvitem[${index + 1}]`;
      const parts = readElements(item, itemPath, { key: textOf, value: readValue });
      if (parts.key === undefined) throw fault('bodyUnreadable', `${itemPath} has no <key>`);
      if (parts.value === undefined) throw fault('bodyUnreadable', `${itemPath} has no <value>`);
      addEntry(list, String(parts.key), parts.value);
    });
  }
  return list;
}

function readValue(node: XmlNode, path: string): KvValue {
  const typed = readElements(node, path, {
    ValueString: textOf,
    ValueInt: (child, childPath) => integerOf(textOf(child, childPath), childPath),
    ValueList: readKvItems,
  });
  const kinds = Object.keys(typed);
  if (kinds.length !== 1) throw fault('bodyUnreadable', `${path} must hold exactly one of ValueString, ValueInt, ValueList`);
  return typed[kinds[0] as string] as KvValue;
}

function integerOf(text: string, path: string): number {
  if (!/^\s*-?\d{1,15}\s*$/.test(text)) throw fault('bodyUnreadable', `${path} "${text}" is not an integer`);
  return Number(text);
}

/** The reply in XML: `<Event3rdServerResponse>` or `<Event3rdServerFault>` mirroring the request form. */
export function writeXmlReply(reply: EspReply): string {
  const referenceId = reply.referenceId === undefined ? '' : `<ReferenceId>${reply.referenceId}</ReferenceId>`;
  const items =
    reply.event === 'Event3rdServerFault'
      ? kvItem('FaultCode', reply.faultCode) + kvItem('FaultString', reply.faultString)
      : kvItems(reply.request);
  return `<?xml version="1.0" encoding="UTF-8"?><${reply.event}>${referenceId}<Request>${items}</Request></${reply.event}>`;
}

function kvItems(list: KvList): string {
  return Object.keys(list)
    .map((key) => kvItem(key, list[key] as KvValue))
    .join('');
}

function kvItem(key: string, value: KvValue): string {
  const typed = isKvList(value)
    ? `<ValueList>${kvItems(value)}</ValueList>`
    : typeof value === 'number'
      ? `<ValueInt>${value}</ValueInt>`
      : `<ValueString>${escapeXml(value)}</ValueString>`;
  return `<kvitem><key>${escapeXml(key)}</key><value>${typed}</value></kvitem>`;
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => XML_ESCAPES[char] as string);
}
