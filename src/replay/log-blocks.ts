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
}

export type LogItem = LogBlock | JsonLine | { kind: 'skipped'; count: number };

/** Bytes read per chunk: large enough that per-chunk costs vanish, small enough to keep memory flat. */
const CHUNK_BYTES = 256 * 1024;

/**
 * Streams a log (plain or `.gz`) and yields its ESP message blocks with their line numbers, JSON
 * request lines, and counts of the lines outside any message, in batches (one per chunk read), so
 * the per-item cost of async iteration is paid once per chunk. Only the current block is held
 * across chunks, so memory stays flat whatever the file size.
 */
export async function* readLogItemBatches(path: string, options: ReadOptions = {}): AsyncGenerator<LogItem[]> {
  const file = createReadStream(path, { highWaterMark: CHUNK_BYTES });
  const { onBytesRead } = options;
  if (onBytesRead) file.on('data', (chunk) => onBytesRead(chunk.length));
  const input = path.endsWith('.gz') ? file.pipe(createGunzip({ chunkSize: CHUNK_BYTES })) : file;
  input.setEncoding('utf8');
  const splitter = new LogBlockSplitter();
  for await (const chunk of input as AsyncIterable<string>) {
    const items = splitter.addText(chunk);
    if (items.length > 0) yield items;
  }
  yield splitter.end();
}


const CR = 13;
const TAB = 9;
const SPACE = 32;
const OPEN_BRACE = 123;
const CLOSE_PARENTHESIS = 41;

/** Only headers naming this open blocks: Request3rdServer, Event3rdServerResponse, Event3rdServerFault. */
const BLOCK_MARKER = '3rdServer';

interface OpenBlock {
  header: LogHeader;
  /** Offset of the header line in the text being split. */
  start: number;
  line: number;
  lineCount: number;
  typed: boolean;
}

/**
 * Splits text into items. A block is a header line and the indented lines after it; a typed-style
 * block ends at its `)`. Only `Request3rdServer` and `Event3rdServer*` headers open blocks: the
 * lines of other messages are outside what replay reads, so they are counted as skipped.
 *
 * This is the hot loop of a replay, so it works on offsets in the text it was given: a block
 * becomes one slice, lines inside blocks are never cut out, and the header regexes run only on
 * lines that hold the marker (found with one forward search, not one per line).
 */
export class LogBlockSplitter {
  private items: LogItem[] = [];
  /** Text not yet consumed: from the open block's header line, or the last partial line. */
  private pending = '';
  /** Where in `pending` the next unread line starts. */
  private resumeAt = 0;
  private block: OpenBlock | undefined;
  private skipped = 0;
  private lineNumber = 0;

  /** Adds the next piece of the file; returns the items it completed. */
  addText(chunk: string): LogItem[] {
    const text = this.pending + chunk;
    let start = this.resumeAt;
    let marker = text.indexOf(BLOCK_MARKER, start);
    for (let end = text.indexOf('\n', start); end >= 0; end = text.indexOf('\n', start)) {
      if (marker >= 0 && marker < start) marker = text.indexOf(BLOCK_MARKER, start);
      this.addLine(text, start, end, marker >= 0 && marker < end);
      start = end + 1;
    }
    // Keep what is unfinished: the open block from its header line, else the partial last line.
    const keepFrom = this.block ? this.block.start : start;
    this.pending = text.slice(keepFrom);
    this.resumeAt = start - keepFrom;
    if (this.block) this.block.start = 0;
    return this.take();
  }

  /** The file ended: a last line without a newline still counts, and a typed block still open is cut off. */
  end(): LogItem[] {
    const text = this.pending;
    if (this.resumeAt < text.length) this.addLine(text, this.resumeAt, text.length, text.includes(BLOCK_MARKER, this.resumeAt));
    if (this.block) this.closeBlock(text, text.length, this.block.typed);
    this.flushSkipped();
    this.pending = '';
    this.resumeAt = 0;
    return this.take();
  }

  /** One line, `text[start, end)`. Lines inside a block are only counted: the block is cut out whole. */
  private addLine(text: string, start: number, end: number, hasMarker: boolean): void {
    this.lineNumber++;
    const first = text.charCodeAt(start);
    const block = this.block;
    if (block) {
      if ((first === TAB || first === SPACE) && end > start) {
        block.lineCount++;
        return;
      }
      if (block.typed && first === CLOSE_PARENTHESIS && text.slice(start, end).trim() === ')') {
        block.lineCount++;
        this.closeBlock(text, end, false);
        return;
      }
      // Another line ends the block; a typed block that did not see its `)` is cut off.
      this.closeBlock(text, start, block.typed);
    }
    if (hasMarker && this.openBlock(text, start, end)) return;
    if (first === OPEN_BRACE && this.addJsonLine(lineText(text, start, end))) return;
    this.skipped++;
  }

  private openBlock(text: string, start: number, end: number): boolean {
    const header = parseLogHeader(lineText(text, start, end));
    if (!header) return false;
    this.flushSkipped();
    this.block = { header, start, line: this.lineNumber, lineCount: 1, typed: header.style === 'typed' };
    return true;
  }

  private addJsonLine(line: string): boolean {
    if (!line.includes('"Request"')) return false;
    this.flushSkipped();
    this.items.push({ kind: 'json', text: line, line: this.lineNumber });
    return true;
  }

  /** Ends the open block just before `end`, dropping the line break (and carriage returns) at its end. */
  private closeBlock(text: string, end: number, truncated: boolean): void {
    const block = this.block!;
    let body = text.slice(block.start, end);
    if (body.endsWith('\n')) body = body.slice(0, -1);
    if (body.includes('\r')) body = body.replace(/\r(?=\n|$)/g, '');
    this.items.push({ kind: 'block', header: block.header, text: body, lineCount: block.lineCount, line: block.line, truncated });
    this.block = undefined;
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

function lineText(text: string, start: number, end: number): string {
  return text.charCodeAt(end - 1) === CR ? text.slice(start, end - 1) : text.slice(start, end);
}
