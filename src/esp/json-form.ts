import { fault } from './faults.js';
import { addEntry, isKvList, newKvList, type KvList, type KvValue } from './kvlist.js';
import type { EspRequest } from './model.js';
import { DEFAULT_READ_LIMITS, lineAndColumn, nestedTooDeep, type ReadLimits } from './read-limits.js';
import { peekedReferenceId, referenceIdOf } from './reference-id.js';

/**
 * The JSON form of docs/protocol.md#json: `{"ReferenceId":7, "Request":{..., "Parameters":{...}}, "UserData":{...}}`.
 *
 * JSON.parse keeps the LAST of a repeated key, but ESP lists keep the FIRST, and a replayed log must
 * read the same in every form. So objects are read by a small strict reader that builds
 * prototype-less lists directly, first key winning. The reader is recursive, so it counts how deep
 * it is and stops at `limits.maxNestingDepth` before going deeper: the stack never overflows.
 */
export function parseJsonRequest(text: string, limits: ReadLimits = DEFAULT_READ_LIMITS): EspRequest {
  const reader = new JsonReader(text, limits);
  const top = reader.readDocument();
  if (!isKvList(top)) throw fault('bodyUnreadable', 'the JSON body must be an object with a Request');
  return espRequestFromList(top, 'JSON');
}

/** Shared by the JSON and XML forms: the three top-level entries of a Request3rdServer. */
export function espRequestFromList(top: KvList, form: string): EspRequest {
  const request = top.Request;
  if (request === undefined) throw fault('bodyUnreadable', `the ${form} body has no Request`);
  if (!isKvList(request)) throw fault('bodyUnreadable', `Request must be a list in the ${form} body`);
  const userData = top.UserData;
  if (userData !== undefined && !isKvList(userData)) throw fault('bodyUnreadable', `UserData must be a list in the ${form} body`);
  return { referenceId: referenceIdOf(top.ReferenceId), request, userData };
}

/** Best effort, for faults about an unreadable body: the ReferenceId when the text shows one. */
export function peekJsonReferenceId(text: string): number | undefined {
  return peekedReferenceId(/"ReferenceId"\s*:\s*"?(-?\d+)/.exec(text)?.[1]);
}

type JsonValue = KvValue | null | boolean | JsonValue[];

/** A strict RFC 8259 reader; values become ESP values, with the path named in every fault. */
class JsonReader {
  private position = 0;
  /** Objects and arrays open around the position; the body's own object is one more than its lists. */
  private depth = 0;
  private readonly maxDepth: number;

  constructor(
    private readonly text: string,
    private readonly limits: ReadLimits,
  ) {
    this.maxDepth = limits.maxNestingDepth + 1;
  }

  readDocument(): KvValue {
    const value = this.readValue('body');
    this.skipWhitespace();
    if (this.position < this.text.length) this.fail('unexpected text after the JSON value');
    return this.toEspValue(value, 'body');
  }

  private readValue(path: string): JsonValue {
    this.skipWhitespace();
    const char = this.text[this.position];
    if (char === '{' || char === '[') {
      if (++this.depth > this.maxDepth) throw nestedTooDeep(this.limits, `${lineAndColumn(this.text, this.position)} of the JSON body`);
      const value = char === '{' ? this.readObject(path) : this.readArray(path);
      this.depth--;
      return value;
    }
    if (char === '"') return this.readString();
    if (char === 't') return this.readLiteral('true', true);
    if (char === 'f') return this.readLiteral('false', false);
    if (char === 'n') return this.readLiteral('null', null);
    if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) return this.readNumber();
    return this.fail(char === undefined ? 'the JSON ends too early' : 'unexpected character');
  }

  private readObject(path: string): KvList {
    const list = newKvList();
    this.position++; // {
    this.skipWhitespace();
    if (this.text[this.position] === '}') {
      this.position++;
      return list;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.position] !== '"') this.fail('expected a quoted key');
      const key = this.readString();
      this.skipWhitespace();
      if (this.text[this.position] !== ':') this.fail(`expected ":" after key ${JSON.stringify(key)}`);
      this.position++;
      const childPath = path === 'body' ? key : `${path}.${key}`;
      addEntry(list, key, this.toEspValue(this.readValue(childPath), childPath));
      this.skipWhitespace();
      const next = this.text[this.position++];
      if (next === '}') return list;
      if (next !== ',') this.fail('expected "," or "}" in an object');
    }
  }

  private readArray(path: string): JsonValue[] {
    // Arrays have no ESP meaning; they are read only to name them in the fault.
    this.position++;
    const items: JsonValue[] = [];
    this.skipWhitespace();
    if (this.text[this.position] === ']') {
      this.position++;
      return items;
    }
    for (;;) {
      items.push(this.readValue(path));
      this.skipWhitespace();
      const next = this.text[this.position++];
      if (next === ']') return items;
      if (next !== ',') this.fail('expected "," or "]" in an array');
    }
  }

  private readString(): string {
    const text = this.text;
    const start = this.position; // at the opening quote
    // One pass over the characters: most strings have no escapes and are a plain slice.
    for (let position = start + 1; position < text.length; position++) {
      const code = text.charCodeAt(position);
      if (code === 34 /* " */) {
        this.position = position + 1;
        return text.slice(start + 1, position);
      }
      if (code === 92 /* \ */) return this.readEscapedString(start);
      if (code < 32) return this.fail('a string holds a control character');
    }
    return this.fail('a string is not closed');
  }

  /** Strings with escapes: find the closing quote, then let JSON.parse decode the escapes. */
  private readEscapedString(start: number): string {
    let position = start + 1;
    for (; position < this.text.length; position++) {
      const code = this.text.charCodeAt(position);
      if (code === 92) position++;
      else if (code === 34) break;
    }
    if (position >= this.text.length) return this.fail('a string is not closed');
    try {
      const value = JSON.parse(this.text.slice(start, position + 1)) as string;
      this.position = position + 1;
      return value;
    } catch {
      this.position = start;
      return this.fail('a string holds a control character or a bad escape');
    }
  }

  private readNumber(): number {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.text.slice(this.position, this.position + 40));
    if (!match) return this.fail('a number is malformed');
    this.position += match[0].length;
    return Number(match[0]);
  }

  private readLiteral<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.position)) this.fail(`unexpected word (expected ${word})`);
    this.position += word.length;
    return value;
  }

  /** Booleans read as "true"/"false" (an IVR engineer writes `"TerminateSessionFlag": true`). */
  private toEspValue(value: JsonValue, path: string): KvValue {
    if (value === null) throw fault('bodyUnreadable', `${path} is null: give a string, an integer or a list`);
    if (Array.isArray(value)) throw fault('bodyUnreadable', `${path} is an array: ESP lists are JSON objects`);
    if (typeof value === 'boolean') return value ? 'true' : 'false';
    if (typeof value === 'number' && !Number.isInteger(value)) throw fault('bodyUnreadable', `${path} is not an integer: ESP numbers are integers`);
    return value;
  }

  private skipWhitespace(): void {
    this.position = afterJsonWhitespace(this.text, this.position);
  }

  private fail(problem: string): never {
    throw fault('bodyUnreadable', `the body is not valid JSON: ${problem} at ${lineAndColumn(this.text, this.position)}`);
  }
}

/** The position after the JSON whitespace (space, tab, CR, LF) that starts at `position`. */
export function afterJsonWhitespace(text: string, position: number): number {
  let at = position;
  for (;;) {
    const code = text.charCodeAt(at);
    if (code !== 32 && code !== 10 && code !== 13 && code !== 9) return at;
    at++;
  }
}
