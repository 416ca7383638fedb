import { afterJsonWhitespace } from '../esp/json-form.js';

/**
 * Checks a JSON text before JSON.parse sees it, so a refusal can say what is wrong and where
 * (line and column) without quoting any of the text: V8's own messages quote the body around the
 * error, which is customer data. It also refuses nesting deeper than a limit, which JSON.parse
 * would accept and the code walking the value afterwards would pay for.
 */

/** How deep objects and arrays may nest when no limit is given: `limits.maxNestingDepth`'s default. */
export const MAX_NESTING_DEPTH = 32;

export interface JsonTextProblem {
  /** `syntax`: not JSON at all; `depth`: valid JSON, nested too deep. */
  kind: 'syntax' | 'depth';
  /** What is wrong, in words that never include the text itself. */
  problem: string;
  line: number;
  column: number;
}

/** The first syntax error or nesting beyond `maxDepth` in `text`, or undefined for valid JSON. */
export function findJsonProblem(text: string, maxDepth = MAX_NESTING_DEPTH): JsonTextProblem | undefined {
  try {
    new JsonScanner(text, maxDepth).scan();
    return undefined;
  } catch (error) {
    if (error instanceof ScanFailure) return { kind: error.kind, problem: error.problem, ...lineAndColumn(text, error.position) };
    throw error;
  }
}

/** "the body is not valid JSON: unexpected character at line 3 column 17" (or "the body nests … deeper than 32 levels at …"). */
export function describeJsonProblem({ kind, problem, line, column }: JsonTextProblem): string {
  return `${kind === 'syntax' ? 'the body is not valid JSON:' : 'the body'} ${problem} at line ${line} column ${column}`;
}

class ScanFailure {
  constructor(
    readonly problem: string,
    readonly position: number,
    readonly kind: JsonTextProblem['kind'] = 'syntax',
  ) {}
}

const OPEN_OBJECT = 123; // {
const CLOSE_OBJECT = 125; // }
const OPEN_ARRAY = 91; // [
const CLOSE_ARRAY = 93; // ]
const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * An RFC 8259 syntax check without recursion (so depth costs no stack): a stack of the open
 * containers, and a loop that reads one value, then closes containers or moves past a comma.
 */
class JsonScanner {
  private position = 0;
  private readonly open: number[] = [];

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  scan(): void {
    for (;;) {
      this.readValueStart();
      if (this.afterValue()) return;
    }
  }

  /** Reads a scalar, or opens a container and moves to its first value (or past its end when empty). */
  private readValueStart(): void {
    for (;;) {
      this.skipWhitespace();
      const code = this.text.charCodeAt(this.position);
      if (code !== OPEN_OBJECT && code !== OPEN_ARRAY) return this.readScalar(code);
      if (this.open.length >= this.maxDepth) throw new ScanFailure(`nests objects and arrays deeper than ${this.maxDepth} levels (limits.maxNestingDepth)`, this.position, 'depth');
      this.open.push(code);
      this.position++;
      this.skipWhitespace();
      const close = code === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY;
      if (this.text.charCodeAt(this.position) === close) {
        // An empty container is a whole value: the caller goes on after it.
        this.open.pop();
        this.position++;
        return;
      }
      if (code === OPEN_OBJECT) this.readKey();
    }
  }

  /** After a value: closes containers and moves past a comma; true once the document is complete. */
  private afterValue(): boolean {
    for (;;) {
      this.skipWhitespace();
      const container = this.open.at(-1);
      const code = this.text.charCodeAt(this.position);
      if (container === undefined) {
        if (this.position < this.text.length) this.fail('unexpected text after the JSON value');
        return true;
      }
      if (Number.isNaN(code)) this.fail('the JSON ends too early');
      if (code === COMMA) {
        this.position++;
        if (container === OPEN_OBJECT) this.readKey();
        return false;
      }
      const close = container === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY;
      if (code !== close) this.fail(container === OPEN_OBJECT ? 'expected "," or "}" in an object' : 'expected "," or "]" in an array');
      this.open.pop();
      this.position++;
    }
  }

  private readKey(): void {
    this.skipWhitespace();
    if (this.text.charCodeAt(this.position) !== QUOTE) this.fail('expected a quoted key');
    this.readString();
    this.skipWhitespace();
    if (this.text.charCodeAt(this.position) !== COLON) this.fail('expected ":" after a key');
    this.position++;
  }

  private readScalar(code: number): void {
    if (code === QUOTE) return this.readString();
    if (code === 45 /* - */ || (code >= 48 && code <= 57)) return this.readNumber();
    for (const word of ['true', 'false', 'null']) {
      if (this.text.startsWith(word, this.position)) {
        this.position += word.length;
        return;
      }
    }
    this.fail(Number.isNaN(code) ? 'the JSON ends too early' : 'unexpected character');
  }

  private readString(): void {
    const text = this.text;
    for (let position = this.position + 1; position < text.length; position++) {
      const code = text.charCodeAt(position);
      if (code === QUOTE) {
        this.position = position + 1;
        return;
      }
      if (code < 32) this.fail('a control character in a string', position);
      if (code === BACKSLASH) {
        const escaped = text[position + 1];
        if (escaped === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(position + 2, position + 6))) this.fail('a bad \\u escape in a string', position);
          position += 5;
        } else if (escaped !== undefined && '"\\/bfnrt'.includes(escaped)) {
          position++;
        } else {
          this.fail('a bad escape in a string', position);
        }
      }
    }
    this.fail('a string is not closed');
  }

  private readNumber(): void {
    NUMBER.lastIndex = this.position;
    const match = NUMBER.exec(this.text);
    if (!match) this.fail('a malformed number');
    this.position += match[0].length;
  }

  private skipWhitespace(): void {
    this.position = afterJsonWhitespace(this.text, this.position);
  }

  private fail(problem: string, position = this.position): never {
    throw new ScanFailure(problem, position);
  }
}

/** 1-based line and column (in UTF-16 code units) of a position in the text. */
function lineAndColumn(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let index = text.indexOf('\n'); index !== -1 && index < position; index = text.indexOf('\n', index + 1)) {
    line++;
    lineStart = index + 1;
  }
  return { line, column: position - lineStart + 1 };
}
