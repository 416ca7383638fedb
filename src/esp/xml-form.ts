import sax from 'sax';
import { Parser } from 'xml2js';
import { fault } from './faults.js';
import { espRequestFromList } from './json-form.js';
import { addEntry, isKvList, newKvList, type KvList, type KvValue } from './kvlist.js';
import type { EspReply, EspRequest } from './model.js';
import { DEFAULT_READ_LIMITS, lineAndColumn, nestedTooDeep, type ReadLimits } from './read-limits.js';
import { peekedReferenceId } from './reference-id.js';

/**
 * The XML form of docs/protocol.md#xml: `<Request3rdServer><ReferenceId>7</ReferenceId><Request>kvitem*
 * </Request><UserData>kvitem*</UserData></Request3rdServer>`, kvitems as in 1.3.
 *
 * xml2js is lenient where we must not be: it answers with the first root and drops what follows
 * (a second root, stray text), and it keeps `__proto__` as a key. So a strict sax pass checks
 * well-formedness first (sax itself lets a second root and characters XML 1.0 forbids through, so
 * the pass checks those too) and how deep lists nest, DTDs are refused, and the shape is walked
 * element by element against the names the form allows.
 */

export function parseXmlRequest(text: string, limits: ReadLimits = DEFAULT_READ_LIMITS): EspRequest {
  if (/<!(DOCTYPE|ENTITY)/i.test(text)) throw fault('bodyUnreadable', 'the XML body may not declare a DOCTYPE or entities');
  const document = parseWellFormed(text, limits);
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
  return peekedReferenceId(/<ReferenceId>\s*(-?\d+)\s*<\/ReferenceId>/.exec(text)?.[1]);
}

type XmlNode = string | { [name: string]: unknown };

function parseWellFormed(text: string, limits: ReadLimits): Record<string, unknown> {
  if (text.trim() === '') throw fault('bodyUnreadable', 'the XML body is empty');
  checkCharacters(text);
  checkWellFormed(text, limits);
  let result: Record<string, unknown> | undefined;
  let failure: Error | undefined;
  // async: false makes xml2js call back before parseString returns.
  new Parser({ explicitArray: true, async: false, strict: true }).parseString(text, (error: Error | null, parsed: Record<string, unknown> | null) => {
    if (error) failure ??= error;
    else result ??= parsed ?? undefined;
  });
  if (failure || !result) throw fault('bodyUnreadable', `the body is not well-formed XML: ${failure ? problemOf(failure) : 'no root element'}`);
  return result;
}

/**
 * XML 1.0's Char production: tab, LF, CR, U+0020–U+D7FF, U+E000–U+FFFD and paired surrogates.
 * sax passes a raw NUL or another control character through as text, so one regex pass finds them.
 */
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function checkCharacters(text: string): void {
  const match = NOT_XML_CHAR.exec(text);
  if (!match) return;
  const code = `U+${match[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  throw fault('bodyUnreadable', `the body is not well-formed XML: character ${code} is not allowed in XML 1.0 at ${lineAndColumn(text, match.index)}`);
}

/** The elements that open a KVList, for the nesting limit. */
const LIST_ELEMENTS = new Set(['Request', 'UserData', 'ValueList']);

/**
 * Strict sax pass over the whole text: one root, nothing but comments and whitespace around it,
 * lists no deeper than the limit. It stops at the first problem, before reading further.
 */
function checkWellFormed(text: string, limits: ReadLimits): void {
  const parser = sax.parser(true);
  const where = () => `line ${parser.line + 1}, column ${parser.column}`;
  // Each list level of a valid body takes three elements (kvitem, value, ValueList), plus the root,
  // and a ValueString in the deepest list: any deeper element cannot belong to a body within the limit.
  const maxElementDepth = 3 * limits.maxNestingDepth + 2;
  let elementDepth = 0;
  let listDepth = 0;
  let sawRoot = false;
  parser.onerror = (error) => {
    throw fault('bodyUnreadable', `the body is not well-formed XML: ${problemOf(error)} at ${where()}`);
  };
  parser.onopentag = (tag) => {
    if (elementDepth === 0 && sawRoot) throw fault('bodyUnreadable', `the body is not well-formed XML: a second root element at ${where()}`);
    sawRoot = true;
    elementDepth++;
    if (LIST_ELEMENTS.has(tag.name)) listDepth++;
    if (listDepth > limits.maxNestingDepth || elementDepth > maxElementDepth) throw nestedTooDeep(limits, `${where()} of the XML body`);
  };
  parser.onclosetag = (name) => {
    elementDepth--;
    if (LIST_ELEMENTS.has(name)) listDepth--;
  };
  parser.write(text).close();
}

/** A sax or xml2js message without its position lines or the name it quotes (never body content). */
function problemOf(error: Error): string {
  return error.message.split('\n')[0]!.split(':')[0]!.trim();
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
  if (!/^\s*-?\d{1,15}\s*$/.test(text)) throw fault('bodyUnreadable', `${path} is not an integer`);
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
