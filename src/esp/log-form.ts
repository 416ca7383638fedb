import { fault } from './faults.js';
import { addEntry, isKvList, newKvList, type KvList, type KvValue } from './kvlist.js';
import type { EspRequest } from './model.js';
import { DEFAULT_READ_LIMITS, nestedTooDeep, type ReadLimits } from './read-limits.js';
import { peekedReferenceId, referenceIdOf } from './reference-id.js';

/**
 * ESP messages as servers log them (docs/protocol.md#log-text), in both styles:
 *
 *   tab style   `'Key'<TAB>'value'`, `'Key'<TAB>7`, `'Key'(list)` with its first child maybe on the
 *               same line; KVList attributes as `AttributeRequest<TAB>[212] 00 05 ..`
 *   typed style `'Key' [str] = "value"`, `'Key' [int] = 7`, `'Key' [list] =`; the message ends with `)`
 *
 * Nesting follows indentation width, not a fixed unit, because real logs mix tabs and spaces. The
 * replay tool splits files into message blocks and calls `parseLogMessage` on each.
 */

export interface LogHeader {
  message: string;
  peer?: string;
  direction?: 'sent' | 'received';
  time?: string;
  /**
   * `tab`: T-Server/URS style; `typed`: PSDK style, closed by `)`; `psdk`: the PSDK printout
   * (`'Request3rdServer' ('4')`, `message attributes:`, attributes not indented), no closing line.
   */
  style?: 'tab' | 'typed' | 'psdk';
}

export interface LoggedMessage extends LogHeader {
  referenceId?: number;
  /** `Request`, `UserData` and any other attribute, by name. */
  attributes: KvList;
}

/** Sticky, so that `test` leaves where the time ends in `lastIndex` (no match array per line). */
const TIME = /(?:\d{4}-\d{2}-\d{2}[T ])?\d{2}:\d{2}:\d{2}(?:[.,]\d+)?/y;
/**
 * The other end of a message, as servers name it: `'DMS_01'`, `65200(IxnServer)` (client number and
 * type), `30 (DMS 'DMS_01')` (number, type and name), or a bare name. See `peerName`.
 */
const PEER = String.raw`('[^']*'|\d+ ?\([^)]*\)|[^\s']\S*)`;
/** `Message Request3rdServer sent to …`, the message name maybe followed by the object's address `(0x…)`. */
const TAB_HEADER = new RegExp(String.raw`\bMessage\s+(\w+)(?:\s+\(0x[0-9a-f]+\))?\s+(sent to|received from)\s+${PEER}`, 'i');
const REQUEST_TO_HEADER = new RegExp(String.raw`\b(request|response) (to|from) ${PEER} message (\w+)`, 'i');
const TYPED_HEADER = /\b(Sending to|Received from) '([^']*)':\s*'(\w+)'\s*\($/i;
/** The PSDK printout: `'Request3rdServer' ('4')` (the message's type number), maybe after `Sending to 'peer':`. */
const PSDK_HEADER = /(?:\b(Sending to|Received from) '([^']*)':\s*)?'(\w+)' \('\d+'\)\s*$/i;

/** The header line that opens a logged message, or undefined for any other line. */
export function parseLogHeader(line: string): LogHeader | undefined {
  const time = leadingTime(line);
  let match = TAB_HEADER.exec(line);
  if (match) return { message: match[1]!, direction: direction(match[2]!), peer: peerName(match[3]!), time, style: 'tab' };
  match = TYPED_HEADER.exec(line);
  if (match) return { message: match[3]!, direction: direction(match[1]!), peer: match[2]!, time, style: 'typed' };
  match = REQUEST_TO_HEADER.exec(line);
  if (match) return { message: match[4]!, direction: /to/i.test(match[2]!) ? 'sent' : 'received', peer: peerName(match[3]!), time, style: 'tab' };
  match = PSDK_HEADER.exec(line);
  if (match) return { message: match[3]!, direction: match[1] ? direction(match[1]) : undefined, peer: match[2], time, style: 'psdk' };
  return undefined;
}

/**
 * The peer a request and its reply share: the quoted name when the header gives one (`'DMS_01'`,
 * `30 (DMS 'DMS_01')`), else the header's words for it (`65200(IxnServer)`), so that pairing
 * matches a reply logged the same way.
 */
function peerName(text: string): string {
  const quoted = text.indexOf("'");
  if (quoted >= 0) return text.slice(quoted + 1, text.indexOf("'", quoted + 1));
  return text;
}

export function isLogMessageHeader(line: string): boolean {
  return parseLogHeader(line) !== undefined;
}

function leadingTime(line: string): string | undefined {
  TIME.lastIndex = 0;
  return TIME.test(line) ? line.slice(0, TIME.lastIndex) : undefined;
}

/** `sent to` or `Sending to` (any case) is sent; `received from` is received. */
function direction(words: string): 'sent' | 'received' {
  return words.charCodeAt(0) === 115 /* s */ || words.charCodeAt(0) === 83 /* S */ ? 'sent' : 'received';
}

/** The PSDK printout's line between the header and the attributes. */
const PSDK_ATTRIBUTES_LINE = 'message attributes:';

// `s`: a value may hold U+2028/U+2029, which `.` would not match (lines are split at \n only).
const TYPED_VALUE = /^ +\[(\w+)\] *=(.*)$/s;
const ATTRIBUTE = /^(?:Attribute(\w+)|(attr_\w+))(?:\s+\[(\w+)\] *= *|\s+)(.*)$/s;

interface OpenList {
  indent: number;
  list: KvList;
}

/**
 * The lists open at the current line, outermost first (the message's attributes at depth 0). A list
 * is opened only below the nesting limit, so a line chaining `'k'(list)` thousands of times stops
 * at the limit instead of recursing until the stack overflows.
 */
class OpenLists {
  private readonly open: OpenList[];

  constructor(
    attributes: KvList,
    private readonly limits: ReadLimits,
  ) {
    this.open = [{ indent: -1, list: attributes }];
  }

  /** The list a line of this indent belongs to, closing the lists it is not deeper than. */
  parentOf(indent: number): OpenList {
    while (this.open.length > 1 && this.open[this.open.length - 1]!.indent >= indent) this.open.pop();
    return this.open[this.open.length - 1]!;
  }

  /** True for the message's own attributes, where log names (`attr_ref_id`, …) stand for ESP names. */
  isAttributes(list: KvList): boolean {
    return list === this.open[0]!.list;
  }

  /** True while only the attributes are open (no list line read yet). */
  get atTop(): boolean {
    return this.open.length === 1;
  }

  /** A new list under `key`; deeper lines land in it. A repeated key keeps its first value: the repeat's children are read, then dropped. */
  openList(key: string, indent: number, into: KvList, lineNumber: number): KvList {
    if (this.open.length > this.limits.maxNestingDepth) throw nestedTooDeep(this.limits, `log text line ${lineNumber}`);
    const list = newKvList();
    addEntry(into, key, list);
    this.open.push({ indent, list });
    return list;
  }
}

/**
 * Parses the lines of one logged message (header first, when present). `firstLineNumber` is the
 * header's line in its file, so faults name the line a reader can open.
 */
export function parseLogMessage(lines: readonly string[], firstLineNumber = 1, knownHeader?: LogHeader, limits: ReadLimits = DEFAULT_READ_LIMITS): LoggedMessage {
  // A caller that already read the header line (the replay's splitter) passes it to save a regex pass.
  const header = knownHeader ?? (lines.length > 0 ? parseLogHeader(lines[0]!) : undefined);
  const attributes = newKvList();
  const lists = new OpenLists(attributes, limits);
  // The width of one nesting level, learnt from the lines: a tab, two spaces, four spaces …
  let indentUnit: number | undefined;
  for (let index = header ? 1 : 0; index < lines.length; index++) {
    const raw = lines[index]!.trimEnd();
    const text = raw.trimStart();
    if (text === '' || text === ')' || text === PSDK_ATTRIBUTES_LINE) continue;
    const indent = raw.length - text.length;
    const parent = lists.parentOf(indent);
    if (!lists.atTop) indentUnit = Math.min(indentUnit ?? Infinity, indent - parent.indent);
    readLine(text, indent, parent.list, lists, indentUnit ?? 1, firstLineNumber + index);
  }
  const referenceId = referenceIdOf(attributes.ReferenceId);
  delete attributes.ReferenceId;
  return {
    message: header?.message ?? 'Request3rdServer',
    peer: header?.peer,
    direction: header?.direction,
    time: header?.time,
    style: header?.style,
    referenceId,
    attributes,
  };
}

/** Reads one item line into `into`; a list opener is pushed so deeper lines land in it. */
function readLine(text: string, indent: number, into: KvList, lists: OpenLists, indentUnit: number, lineNumber: number): void {
  // Most lines are items (`'Key'…`); the attribute regex runs only on lines that can be attributes.
  const attribute = text.charCodeAt(0) === 39 /* ' */ ? null : ATTRIBUTE.exec(text);
  if (attribute) {
    readAttribute(attribute, indent, into, lists, lineNumber);
    return;
  }
  if (!text.startsWith("'")) throw unreadable(lineNumber, "expected a quoted key ('Key') or an attribute (AttributeName), found a line that is neither");
  const keyEnd = findKeyEnd(text);
  if (keyEnd < 0) throw unreadable(lineNumber, 'the key is not closed by a quote');
  const key = text.slice(1, keyEnd);
  const rest = text.slice(keyEnd + 1);

  const typed = rest.charCodeAt(0) === 32 /* space */ ? TYPED_VALUE.exec(rest) : null;
  if (typed) {
    readTypedValue(key, typed[1]!, typed[2]!.trim(), indent, into, lists, lineNumber);
    return;
  }
  if (rest.startsWith('(list)')) {
    const list = lists.openList(key, indent, into, lineNumber);
    const firstChild = rest.slice('(list)'.length).trimStart();
    // The first child shares the opener's line; give it the indent its siblings will have.
    if (firstChild) readLine(firstChild, indent + indentUnit, list, lists, indentUnit, lineNumber);
    return;
  }
  const value = rest.trimStart();
  if (rest === value || value === '') throw unreadable(lineNumber, `no value after key '${key}'`);
  addEntry(into, key, scalarOf(value, lineNumber));
}

function readAttribute(match: RegExpExecArray, indent: number, into: KvList, lists: OpenLists, lineNumber: number): void {
  const name = attributeName(match[1] ?? match[2]!);
  const type = match[3];
  const value = match[4]!.trim();
  // `[212] 00 05 ..` (tab style), `[list] =` (typed style) and `[bstr] = KVList:` (PSDK printout) open a list.
  if (type === 'list' || type === 'kvlist' || (type === 'bstr' && value.startsWith('KVList:')) || (!type && /^\[\d+\]/.test(value))) {
    lists.openList(name, indent, into, lineNumber);
    return;
  }
  if (type === 'int' || type === 'long') addEntry(into, name, typedAttributeNumber(name, type, value, lineNumber));
  else if (type) readTypedValue(name, type, value, indent, into, lists, lineNumber);
  else addEntry(into, name, attributeScalar(name, value, lineNumber));
}

/** Bare hex, as servers log a ConnID (`006c029a6685d004`): kept as the text logged. */
const HEX = /^[0-9a-f]+$/i;

/** An untyped attribute value: `'text'`, an integer, or bare hex (a ConnID) kept as text. */
function attributeScalar(name: string, value: string, lineNumber: number): KvValue {
  if (!value.startsWith("'") && !/^-?\d+$/.test(value) && HEX.test(value)) return value;
  if (value.startsWith("'") || /^-?\d+$/.test(value)) return scalarOf(value, lineNumber);
  throw unreadable(lineNumber, `attribute ${name}: a value must be 'quoted', an integer or hex`);
}

/**
 * `[int]`/`[long]` attribute values: an integer, maybe followed by the name PSDK prints for it
 * (`2 [RoleDestination]`), or hex for a `[long]` ConnID, kept as the text logged.
 */
function typedAttributeNumber(name: string, type: string, value: string, lineNumber: number): KvValue {
  const integer = /^(-?\d+)(?: \[\w+\])?$/.exec(value);
  if (integer) return Number(integer[1]);
  if (type === 'long' && HEX.test(value)) return value;
  throw unreadable(lineNumber, `attribute ${name} is typed [${type}] but does not hold an integer`);
}

/** Log attribute names to the ESP names the JSON and XML forms use. */
function attributeName(name: string): string {
  if (/^(ReferenceID|attr_ref_id)$/i.test(name)) return 'ReferenceId';
  if (/^(attr_)?request$/i.test(name)) return 'Request';
  if (/^(attr_)?user_?data$/i.test(name)) return 'UserData';
  return name;
}

function readTypedValue(key: string, type: string, value: string, indent: number, into: KvList, lists: OpenLists, lineNumber: number): void {
  // Inside a list a key is the client's own: a Parameters entry named `request` stays `request`.
  const name = lists.isAttributes(into) ? attributeName(key) : key;
  switch (type) {
    case 'list':
    case 'kvlist':
      lists.openList(name, indent, into, lineNumber);
      return;
    case 'int':
      if (!/^-?\d+$/.test(value)) throw unreadable(lineNumber, `'${key}' is typed [int] but does not hold an integer`);
      addEntry(into, name, Number(value));
      return;
    case 'str':
    case 'bstr': {
      const first = value.indexOf('"');
      const last = value.lastIndexOf('"');
      if (first !== 0 || last <= first) throw unreadable(lineNumber, `'${key}' is typed [str] but its value is not in double quotes`);
      addEntry(into, key, value.slice(1, last));
      return;
    }
    default:
      throw unreadable(lineNumber, `'${key}' has an unknown type [${type}]`);
  }
}

/** A key runs to the quote followed by a tab, a space, `(list)` or the end of the line. */
function findKeyEnd(text: string): number {
  let position = 1;
  for (;;) {
    position = text.indexOf("'", position);
    if (position < 0) return -1;
    const next = text[position + 1];
    if (next === undefined || next === '\t' || next === ' ' || next === '(') return position;
    position++;
  }
}

/** `'text'` (from the first quote to the last one of the line) or a bare integer. */
function scalarOf(value: string, lineNumber: number): KvValue {
  if (value.startsWith("'")) {
    const last = value.lastIndexOf("'");
    if (last === 0) throw unreadable(lineNumber, 'a string value is not closed by a quote');
    return value.slice(1, last);
  }
  if (/^-?\d+$/.test(value)) return Number(value);
  throw unreadable(lineNumber, `a value must be 'quoted' or an integer`);
}

function unreadable(lineNumber: number, problem: string) {
  return fault('bodyUnreadable', `log text line ${lineNumber}: ${problem}`);
}

/** `POST /esp` with `text/plain`: exactly one logged Request3rdServer, in either style. */
export function parseLoggedRequest(text: string, limits: ReadLimits = DEFAULT_READ_LIMITS): EspRequest {
  refuseControlCharacters(text);
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[0]!.trim() === '') lines.shift();
  if (lines.length === 0) throw fault('bodyUnreadable', 'the log text is empty');
  const headers = lines.map((line, index) => [index, parseLogHeader(line)] as const).filter(([, header]) => header);
  if (headers.length > 1) throw fault('bodyUnreadable', `the log text holds ${headers.length} messages; send one Request3rdServer`);
  if (headers.length === 1 && headers[0]![0] !== 0) throw fault('bodyUnreadable', 'the log text must start with the message header line');
  if (headers.length === 0 && !isBlockLine(lines[0]!)) throw unreadable(1, `expected a Request3rdServer message header or the lines of its block, found ${shapeOf(lines[0]!)}`);
  const message = parseLogMessage(lines, 1, undefined, limits);
  if (message.message !== 'Request3rdServer') throw fault('bodyUnreadable', `the logged message is ${message.message}, not Request3rdServer`);
  const request = message.attributes.Request;
  if (request === undefined) throw fault('bodyUnreadable', 'the logged Request3rdServer has no Request (AttributeRequest)');
  if (!isKvList(request)) throw fault('bodyUnreadable', 'the logged Request is not a list');
  const userData = message.attributes.UserData;
  return { referenceId: message.referenceId, request, userData: isKvList(userData) ? userData : undefined };
}

/** A line that can open a message logged without its header: an attribute or an item. */
function isBlockLine(line: string): boolean {
  const text = line.trimStart();
  return text.startsWith("'") || text.startsWith('Attribute') || text.startsWith('attr_') || text.trimEnd() === PSDK_ATTRIBUTES_LINE;
}

/** What a line is like, in words: a fault must not quote the line, which may hold customer data. */
function shapeOf(line: string): string {
  if (line.includes('Request3rdServer')) return 'a line that names Request3rdServer in a header layout the reader does not know';
  return 'a line that is not a message header';
}

/** Servers print logs as text: a NUL or another control character (but tab) means a binary or cut body. */
const CONTROL_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

function refuseControlCharacters(text: string): void {
  const match = CONTROL_CHARACTER.exec(text);
  if (!match) return;
  const lineNumber = text.slice(0, match.index).split('\n').length;
  const code = `U+${match[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  throw unreadable(lineNumber, `character ${code} is not allowed in log text`);
}

/** Best effort, for faults about an unreadable body. */
export function peekLogReferenceId(text: string): number | undefined {
  return peekedReferenceId(/(?:AttributeReferenceID(?:\s+\[(?:int|long)\] *= *|\s+)|attr_ref_id \[int\] = )(-?\d+)/.exec(text)?.[1]);
}
