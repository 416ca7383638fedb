import { isAscii } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { parseLogHeader, type LogHeader } from '../esp/log-form.js';

/** One logged ESP message, as found in a file. */
export interface LogBlock {
  kind: 'block';
  header: LogHeader;
  /** The header line and the message's own lines, joined by `\n` (a carriage return before it is dropped). */
  text: string;
  /** How many lines the block spans. */
  lineCount: number;
  /** 1-based line number of the header in its file. */
  line: number;
  /** A typed-style message cut off before its closing `)` (the file ended, or another message began). */
  truncated: boolean;
}

/** A `POST /esp` JSON form logged on one line. */
export interface JsonLine {
  kind: 'json';
  text: string;
  line: number;
}

export interface ReadOptions {
  /** Told the size of each chunk read from the file (compressed bytes for `.gz`), for progress. */
  onBytesRead?: (bytes: number) => void;
  /** Reads only the file's first `bytes` bytes: what it held when a replay first read it. */
  bytes?: number;
  /** Told how many lines the file held, once it is read to its end. */
  onLinesRead?: (lines: number) => void;
}

/** A line outside any block that names `Request3rdServer` in a header layout the reader does not know. */
export interface UnrecognisedHeader {
  kind: 'unrecognised';
  line: number;
}

export type LogItem = LogBlock | JsonLine | UnrecognisedHeader | { kind: 'skipped'; count: number };

/** Bytes read per chunk: large enough that per-chunk costs vanish, small enough to keep memory flat. */
const CHUNK_BYTES = 256 * 1024;

/**
 * Streams a log (plain or `.gz`) and yields its ESP message blocks with their line numbers, JSON
 * request lines, and counts of the lines outside any message, in batches (one per chunk read), so
 * the per-item cost of async iteration is paid once per chunk. Only the current block is held
 * across chunks, so memory stays flat whatever the file size.
 */
export async function* readLogItemBatches(path: string, options: ReadOptions = {}): AsyncGenerator<LogItem[]> {
  const { onBytesRead, bytes, onLinesRead } = options;
  const splitter = new LogBlockSplitter();
  if (bytes === 0) return yield splitter.end();
  // `end` is the last byte read, not the one after it.
  const file = createReadStream(path, { highWaterMark: CHUNK_BYTES, ...(bytes !== undefined && { end: bytes - 1 }) });
  if (onBytesRead) file.on('data', (chunk) => onBytesRead(chunk.length));
  const input = path.endsWith('.gz') ? file.pipe(createGunzip({ chunkSize: CHUNK_BYTES })) : file;
  for await (const chunk of input as AsyncIterable<Buffer>) {
    const items = splitter.addBytes(chunk);
    if (items.length > 0) yield items;
  }
  yield splitter.end();
  onLinesRead?.(splitter.linesRead);
}

const NEWLINE = 10;
const CR = 13;
const TAB = 9;
const SPACE = 32;
const OPEN_BRACE = 123;
const CLOSE_PARENTHESIS = 41;

/** Only headers naming this open blocks: Request3rdServer, Event3rdServerResponse, Event3rdServerFault. */
const BLOCK_MARKER = Buffer.from('3rdServer');

const NO_BYTES = Buffer.alloc(0);
const REQUEST_MARKER = Buffer.from('Request3rdServer');

/** Lines of the PSDK printout that start at the margin: `message attributes:`, then `AttributeX [type] = …`. */
const PSDK_ATTRIBUTE_STARTS = [Buffer.from('Attribute'), Buffer.from('attr_'), Buffer.from('message attributes:')];

function isPsdkAttributeLine(bytes: Buffer, at: number, to: number): boolean {
  return PSDK_ATTRIBUTE_STARTS.some((start) => at + start.length <= to && bytes.compare(start, 0, start.length, at, at + start.length) === 0);
}

interface OpenBlock {
  header: LogHeader;
  /** Offset of the header line in the bytes being split. */
  start: number;
  line: number;
  lineCount: number;
  typed: boolean;
  /** The PSDK printout: its `message attributes:` and attribute lines are not indented, yet belong to it. */
  psdk: boolean;
}

/**
 * Splits a file's bytes into items. A block is a header line and the indented lines after it; a
 * typed-style block ends at its `)`. Only `Request3rdServer` and `Event3rdServer*` headers open
 * blocks: the lines of other messages are outside what replay reads, so they are counted as skipped.
 *
 * This is the hot loop of a replay, so it works on bytes, not text: lines are found with one
 * native newline search each and never cut out, only the header lines, JSON lines and blocks are
 * decoded (each once, whole), and the header regexes run only on lines that hold the marker (found
 * with one forward search, not one per line). UTF-8 needs no care here: the bytes of a newline and
 * of the marker never occur inside a multi-byte character.
 */
export class LogBlockSplitter {
  private items: LogItem[] = [];
  /** Bytes not yet consumed: from the open block's header line, or the last partial line. */
  private pending: Buffer = NO_BYTES;
  /** Where in `pending` the next unread line starts. */
  private resumeAt = 0;
  private block: OpenBlock | undefined;
  private skipped = 0;
  private lineNumber = 0;
  /** How the bytes being split are decoded: `latin1` when they are all ASCII (see `addBytes`). */
  private encoding: 'utf8' | 'latin1' = 'utf8';

  /** Lines split so far (a last line without a newline counts once `end` has run). */
  get linesRead(): number {
    return this.lineNumber;
  }

  /** Adds the next piece of the file; returns the items it completed. */
  addBytes(chunk: Buffer): LogItem[] {
    const bytes = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    // Most logs are ASCII, which decodes to the same text as latin1 as it does as UTF-8, twice as
    // fast: the check costs next to nothing, and decoding is a tenth of the time spent here.
    this.encoding = isAscii(bytes) ? 'latin1' : 'utf8';
    // Only whole lines are read now; the last partial line waits for the next chunk.
    const next = this.addLines(bytes, this.resumeAt, bytes.lastIndexOf(NEWLINE) + 1);
    // Keep what is unfinished: the open block from its header line, else the partial last line.
    const keepFrom = this.block ? this.block.start : next;
    this.pending = bytes.subarray(keepFrom);
    this.resumeAt = next - keepFrom;
    if (this.block) this.block.start = 0;
    return this.take();
  }

  /** The file ended: a last line without a newline still counts, and a typed block still open is cut off. */
  end(): LogItem[] {
    const bytes = this.pending;
    this.encoding = isAscii(bytes) ? 'latin1' : 'utf8';
    this.addLines(bytes, this.resumeAt, bytes.length);
    if (this.block) this.closeBlock(bytes, bytes.length, this.block.typed);
    this.flushSkipped();
    this.pending = NO_BYTES;
    this.resumeAt = 0;
    return this.take();
  }

  /** Reads the lines of `bytes[from, to)`; `to` ends a line. Returns where reading stopped. */
  private addLines(bytes: Buffer, from: number, to: number): number {
    let start = from;
    let marker = bytes.indexOf(BLOCK_MARKER, start);
    while (start < to) {
      if (this.block) {
        start = this.addBlockLines(bytes, start, to);
        if (start >= to) break;
      }
      let end = bytes.indexOf(NEWLINE, start);
      if (end < 0 || end > to) end = to;
      if (marker >= 0 && marker < start) marker = bytes.indexOf(BLOCK_MARKER, start);
      this.addLine(bytes, start, end, marker >= 0 && marker < end);
      start = end + 1;
    }
    return Math.min(start, to);
  }

  /**
   * The open block's indented lines from `start`, only counted: the block is cut out whole when it
   * ends. Most lines of a log are such lines, hence this loop of its own. Returns where the first
   * other line starts.
   */
  private addBlockLines(bytes: Buffer, start: number, to: number): number {
    let at = start;
    let lines = 0;
    const psdk = this.block!.psdk;
    while (at < to && (bytes[at] === TAB || bytes[at] === SPACE || (psdk && isPsdkAttributeLine(bytes, at, to)))) {
      const end = bytes.indexOf(NEWLINE, at);
      at = end < 0 || end >= to ? to : end + 1;
      lines++;
    }
    this.block!.lineCount += lines;
    this.lineNumber += lines;
    return at;
  }

  /** One line, `bytes[start, end)`, outside a block or the first after its indented lines. */
  private addLine(bytes: Buffer, start: number, end: number, hasMarker: boolean): void {
    this.lineNumber++;
    const first = start < end ? bytes[start] : NEWLINE;
    const block = this.block;
    if (block) {
      if (block.typed && first === CLOSE_PARENTHESIS && bytes.toString(this.encoding, start, end).trim() === ')') {
        block.lineCount++;
        this.closeBlock(bytes, end, false);
        return;
      }
      // Another line ends the block; a typed block that did not see its `)` is cut off.
      this.closeBlock(bytes, start, block.typed);
    }
    if (hasMarker && (this.openBlock(bytes, start, end) || this.addUnrecognised(bytes, start, end))) return;
    if (first === OPEN_BRACE && this.addJsonLine(this.lineText(bytes, start, end))) return;
    this.skipped++;
  }

  private openBlock(bytes: Buffer, start: number, end: number): boolean {
    const header = parseLogHeader(this.lineText(bytes, start, end));
    if (!header) return false;
    this.flushSkipped();
    this.block = { header, start, line: this.lineNumber, lineCount: 1, typed: header.style === 'typed', psdk: header.style === 'psdk' };
    return true;
  }

  /** A request must never be skipped in silence: a line naming it that is not a known header is reported. */
  private addUnrecognised(bytes: Buffer, start: number, end: number): boolean {
    const at = bytes.indexOf(REQUEST_MARKER, start);
    if (at < 0 || at >= end) return false;
    this.flushSkipped();
    this.items.push({ kind: 'unrecognised', line: this.lineNumber });
    return true;
  }

  private addJsonLine(line: string): boolean {
    if (!line.includes('"Request"')) return false;
    this.flushSkipped();
    this.items.push({ kind: 'json', text: line, line: this.lineNumber });
    return true;
  }

  /** Ends the open block just before `end`, dropping the line break (and carriage returns) at its end. */
  private closeBlock(bytes: Buffer, end: number, truncated: boolean): void {
    const block = this.block!;
    const bodyEnd = end > block.start && bytes[end - 1] === NEWLINE ? end - 1 : end;
    let body = bytes.toString(this.encoding, block.start, bodyEnd);
    if (body.includes('\r')) body = body.replace(/\r(?=\n|$)/g, '');
    this.items.push({ kind: 'block', header: block.header, text: body, lineCount: block.lineCount, line: block.line, truncated });
    this.block = undefined;
  }

  /** The line `bytes[start, end)` as text, without the carriage return a CRLF file leaves before the newline. */
  private lineText(bytes: Buffer, start: number, end: number): string {
    return bytes.toString(this.encoding, start, end > start && bytes[end - 1] === CR ? end - 1 : end);
  }

  private take(): LogItem[] {
    const items = this.items;
    this.items = [];
    return items;
  }

  private flushSkipped(): void {
    if (this.skipped) this.items.push({ kind: 'skipped', count: this.skipped });
    this.skipped = 0;
  }
}
