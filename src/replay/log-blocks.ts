import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { parseLogHeader, type LogHeader } from '../esp/log-form.js';

/** The lines of one logged ESP message, as found in a file. */
export interface LogBlock {
  kind: 'block';
  header: LogHeader;
  /** Header first, then the message's own lines. */
  lines: string[];
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

/**
 * Streams a log (plain or `.gz`) and yields its ESP message blocks with their line numbers, JSON
 * request lines, and counts of the lines outside any message. Only one block is held at a time, so
 * memory stays flat whatever the file size.
 *
 * A block is a header line and the indented lines after it; a typed-style block ends at its `)`.
 */
export async function* readLogItems(path: string, options: ReadOptions = {}): AsyncGenerator<LogItem> {
  const input = createReadStream(path);
  const { onBytesRead } = options;
  if (onBytesRead) input.on('data', (chunk) => onBytesRead(chunk.length));
  const lines = createInterface({ input: path.endsWith('.gz') ? input.pipe(createGunzip()) : input, crlfDelay: Infinity });
  let block: LogBlock | undefined;
  let skipped = 0;
  let lineNumber = 0;

  for await (const text of lines) {
    lineNumber++;
    if (block && belongsToBlock(block, text)) {
      block.lines.push(text);
      if (block.header.style === 'typed' && text.trim() === ')') {
        yield { ...block, truncated: false };
        block = undefined;
      }
      continue;
    }
    if (block) {
      yield block;
      block = undefined;
    }
    const header = parseLogHeader(text);
    if (header) {
      if (skipped) yield { kind: 'skipped', count: skipped };
      skipped = 0;
      block = { kind: 'block', header, lines: [text], line: lineNumber, truncated: header.style === 'typed' };
    } else if (text.startsWith('{') && text.includes('"Request"')) {
      yield { kind: 'json', text, line: lineNumber };
    } else {
      skipped++;
    }
  }
  if (block) yield block;
  if (skipped) yield { kind: 'skipped', count: skipped };
}

/** Indented lines continue a block; a typed block also takes its unindented closing `)`. */
function belongsToBlock(block: LogBlock, text: string): boolean {
  if (text === '') return false;
  if (/^\s/.test(text)) return true;
  return block.header.style === 'typed' && text.trim() === ')';
}
