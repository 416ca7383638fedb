import { stripIrdPrefix } from '../esp/kvlist.js';
import { peekLogReferenceId } from '../esp/log-form.js';

/** The fields of a logged request that reading a log needs before the request is parsed in full. */
export interface ScannedFields {
  referenceId?: number;
  channel?: string;
  businessId?: string;
}

/**
 * Reads, without building the request, the ReferenceId, `_umsChannel`, `_umsBusinessId`, and
 * whether `Service`/`Method` name something other than ChatService/InviteToChat (such requests are
 * not replayed), each from the first line that names its key. A block this scan misreads is still
 * parsed in full before it is sent, which is where broken blocks are found.
 *
 * `otherMethod` leaves a block out at once, so it is only said when the key is in the block once:
 * a UserData key of the same name, logged before the Request list, must not hide an InviteToChat.
 */
export function scanRequestBlock(block: string): { fields: ScannedFields; otherMethod: boolean } {
  return {
    fields: { referenceId: peekLogReferenceId(block), channel: valueOfKey(block, CHANNEL), businessId: valueOfKey(block, BUSINESS_ID) },
    otherMethod: namesOnlyOther(block, SERVICE, 'ChatService') || namesOnlyOther(block, METHOD, 'InviteToChat'),
  };
}

/** Whether `key` is in `block` once, with a value other than `wanted`. */
function namesOnlyOther(block: string, key: ScannedKey, wanted: string): boolean {
  const at = indexOfQuotedKey(block, key);
  if (at < 0) return false;
  const value = valueAt(block, at + key.quoted.length);
  return value !== undefined && value !== wanted && indexOfQuotedKey(block, key, at + 1) < 0;
}

/** A key the request scan reads: `'Key'`, and the same without its opening quote, as it is searched for (see `indexOfQuotedKey`). */
interface ScannedKey {
  quoted: string;
  withoutOpeningQuote: string;
}

const scannedKey = (key: string): ScannedKey => ({ quoted: `'${key}'`, withoutOpeningQuote: `${key}'` });
const SERVICE = scannedKey('Service');
const METHOD = scannedKey('Method');
const CHANNEL = scannedKey('_umsChannel');
const BUSINESS_ID = scannedKey('_umsBusinessId');

/** The value after the first `'Key'` of `block`, on that line. */
function valueOfKey(block: string, key: ScannedKey): string | undefined {
  const at = indexOfQuotedKey(block, key);
  return at < 0 ? undefined : valueAt(block, at + key.quoted.length);
}

/** The value that starts at `from`, just after a key, on that line. */
function valueAt(block: string, from: number): string | undefined {
  const newline = block.indexOf('\n', from);
  const lineEnd = newline < 0 ? block.length : newline;
  // The common `'value'` after tabs or spaces is read in place; anything else from the trimmed rest of the line.
  const quote = skipBlanks(block, from, lineEnd);
  if (block.charCodeAt(quote) !== QUOTE) return scalarText(block.slice(from, lineEnd).trim());
  // The value runs to the next quote, which ends it: before a tab or the end of the line.
  const end = block.indexOf("'", quote + 1);
  return end >= 0 && end < lineEnd ? block.slice(quote + 1, end) : undefined;
}

/**
 * Where `'Key'` first occurs in `block`, from `from` on. It is searched for without its opening
 * quote, which is then checked: a quote is the commonest character of a logged message, and a
 * search whose first character keeps matching is several times slower.
 */
function indexOfQuotedKey(block: string, key: ScannedKey, from = 0): number {
  const { withoutOpeningQuote } = key;
  for (let at = block.indexOf(withoutOpeningQuote, from + 1); at > 0; at = block.indexOf(withoutOpeningQuote, at + 1)) {
    if (block.charCodeAt(at - 1) === QUOTE) return at - 1;
  }
  return -1;
}

/** The scalar that follows a key on its line, trimmed: `'value'` (tab style) or `[str] = "value"` / `[int] = 7` (typed). */
function scalarText(rest: string): string | undefined {
  if (rest.startsWith("'")) {
    const end = rest.indexOf("'", 1);
    return end > 0 ? rest.slice(1, end) : undefined;
  }
  const typed = /^\[(?:str|int)\] *= *(?:"(.*)"|(-?\d+))$/.exec(rest);
  if (typed) return typed[1] ?? typed[2];
  return /^-?\d+$/.test(rest) ? rest : undefined;
}

/** The fields of a logged reply that pairing and classifying read; scalars as `getScalar` gives them. */
export interface ReplyFields {
  referenceId?: number;
  faultCode?: string;
  faultString?: string;
  sessionId?: string;
}

/**
 * Characters the full parse's regexes take for line ends (`.` stops at them), so that it refuses a
 * typed value or an attribute line holding one: such lines are left to it.
 */
const LINE_TERMINATOR = /[\r\u2028\u2029]/;
const INTEGER = /^-?\d+$/;

/**
 * Reads a reply block whose lines all have the plain shapes servers log, in either style: the
 * ReferenceId attribute, the `Request` list's opener, and scalar items of that list. On anything
 * else (another attribute, a nested list, a value the full parse might refuse or read otherwise) it
 * gives up and returns undefined, and the caller parses the block in full, which is where a broken
 * reply is found. So whenever it answers, it answers what the full parse would have, at a fraction
 * of its cost: replies are half the messages of a log. It reads the block in place, by offsets,
 * cutting out only the values it returns.
 */
export function scanReplyBlock(block: string): ReplyFields | undefined {
  const fields: ReplyFields = {};
  let requestIndent = -1;
  let inRequest = false;
  // Line by line after the header; a line's content is what lies between its indent and trailing blanks.
  for (let lineStart = block.indexOf('\n') + 1; lineStart > 0; ) {
    const newline = block.indexOf('\n', lineStart);
    const lineEnd = newline < 0 ? block.length : newline;
    const start = skipBlanks(block, lineStart, lineEnd);
    const end = trimBlanksEnd(block, start, lineEnd);
    const indent = start - lineStart;
    lineStart = newline + 1;
    if (start === end || (end === start + 1 && block.charCodeAt(start) === CLOSE_PARENTHESIS)) continue;
    // A line no deeper than the Request list's opener closes that list, as the full parse's indentation does.
    if (inRequest && indent <= requestIndent) inRequest = false;
    if (inRequest) {
      if (!readRequestItem(block, start, end, fields)) return undefined;
    } else if (opensRequestList(block, start)) {
      // A second Request list (its items are dropped by the full parse) is left to that parse.
      if (requestIndent >= 0) return undefined;
      requestIndent = indent;
      inRequest = true;
    } else {
      const referenceId = referenceIdAttribute(block, start);
      if (referenceId === undefined) return undefined;
      fields.referenceId ??= referenceId;
    }
  }
  return fields;
}

/**
 * An item of the Request list, `block[start, end)`: `'Key'<TAB>'value'`, `'Key'<TAB>7`,
 * `'Key' [str] = "value"` or `'Key' [int] = 7`, read into `fields`; false for any other shape.
 */
function readRequestItem(block: string, start: number, end: number, fields: ReplyFields): boolean {
  if (block.charCodeAt(start) !== QUOTE) return false;
  // A key holding a quote, or a list opener, is left to the full parse.
  const keyEnd = block.indexOf("'", start + 1);
  if (keyEnd < 0 || keyEnd >= end) return false;
  const value = scalarAfterKey(block, keyEnd + 1, end);
  if (value === undefined) return false;
  const key = stripIrdPrefix(block.slice(start + 1, keyEnd));
  // The first of repeated keys wins, as in every ESP list.
  if (key === 'FaultCode') fields.faultCode ??= value;
  else if (key === 'FaultString') fields.faultString ??= value;
  else if (key === '_umsChatSessionId') fields.sessionId ??= value;
  return true;
}

const TYPED_STRING = ' [str] = "';
const TYPED_INTEGER = ' [int] = ';

/** The scalar in `block[at, end)`, just after a key's closing quote, integers as their decimal string; undefined for any other shape. */
function scalarAfterKey(block: string, at: number, end: number): string | undefined {
  if (at < end && block.charCodeAt(at) === TAB) {
    const valueStart = skipBlanks(block, at, end);
    if (end - valueStart >= 2 && block.charCodeAt(valueStart) === QUOTE && block.charCodeAt(end - 1) === QUOTE) return block.slice(valueStart + 1, end - 1);
    return integerText(block.slice(valueStart, end));
  }
  if (block.startsWith(TYPED_STRING, at) && at + TYPED_STRING.length < end && block.charCodeAt(end - 1) === DOUBLE_QUOTE) {
    const value = block.slice(at + TYPED_STRING.length, end - 1);
    return LINE_TERMINATOR.test(value) ? undefined : value;
  }
  if (block.startsWith(TYPED_INTEGER, at) && at + TYPED_INTEGER.length <= end) return integerText(block.slice(at + TYPED_INTEGER.length, end));
  return undefined;
}

/**
 * `AttributeRequest<TAB>[40] 00 01 ..` (tab style) or `'Request' [list] =` (typed style), from the
 * line's content to its end. Not `[40] = …`: the full parse reads that as a value of a type named
 * "40" and refuses it.
 */
const REQUEST_LIST_OPENER = /(?:AttributeRequest[\t ]+\[\d+\](?! *=)[^\n\r\u2028\u2029]*|'Request' \[list\] =[\t ]*)(?=\n|$)/y;
/** `AttributeReferenceID<TAB>7` (tab style) or `attr_ref_id [int] = 7` (typed style), from the line's content to its end. */
const REFERENCE_ID_ATTRIBUTE = /(?:AttributeReferenceID[\t ]+|attr_ref_id \[int\] = )(-?\d+)[\t ]*(?=\n|$)/y;

/** Whether the line whose content starts at `start` opens the Request list. */
function opensRequestList(block: string, start: number): boolean {
  REQUEST_LIST_OPENER.lastIndex = start;
  return REQUEST_LIST_OPENER.test(block);
}

/** The ReferenceId of the line whose content starts at `start`, if that line is the ReferenceId attribute. */
function referenceIdAttribute(block: string, start: number): number | undefined {
  REFERENCE_ID_ATTRIBUTE.lastIndex = start;
  const match = REFERENCE_ID_ATTRIBUTE.exec(block);
  return match ? Number(match[1]) : undefined;
}

/** A bare integer as the decimal string the full parse would give it (`007` is `7`). */
function integerText(value: string): string | undefined {
  return INTEGER.test(value) ? String(Number(value)) : undefined;
}

const TAB = 9;
const SPACE = 32;
const QUOTE = 39;
const DOUBLE_QUOTE = 34;
const CLOSE_PARENTHESIS = 41;

/** The first offset in `text[from, to)` that is not a tab or a space (`to` when there is none). */
function skipBlanks(text: string, from: number, to: number): number {
  let at = from;
  while (at < to && (text.charCodeAt(at) === TAB || text.charCodeAt(at) === SPACE)) at++;
  return at;
}

/** `to`, moved back over the tabs and spaces that end `text[from, to)`. */
function trimBlanksEnd(text: string, from: number, to: number): number {
  let at = to;
  while (at > from && (text.charCodeAt(at - 1) === TAB || text.charCodeAt(at - 1) === SPACE)) at--;
  return at;
}
