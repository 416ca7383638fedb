import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Answer } from './classify.js';
import type { ReportItem, ReportRun } from './report.js';
import { UsageError } from '../cli-support/gateway-target.js';

/**
 * A previous report, as the reference for renders (and for answers of requests logged without a
 * reply). Requests are matched by file, line and ReferenceId; when the logs were copied elsewhere
 * since, by the file's base name.
 *
 * A report is as large as the replay that wrote it: a day of logs makes a million items and a
 * gigabyte of JSON, more than fits in one string. So it is not held: `load` reads it once and notes
 * where each item's line lies (under 100 bytes an item), and `answerFor` reads that line back when
 * its request comes up, at the pace of the replay.
 */
export class Baseline {
  private constructor(
    private readonly path: string,
    private readonly file: FileHandle,
    private readonly lines: LineIndex,
    /** Whether its renders were stored masked: today's are masked the same way before comparing. */
    readonly redacted: boolean,
  ) {}

  static async load(path: string): Promise<Baseline> {
    let run: Partial<ReportRun> | undefined;
    let inItems = false;
    const lines = new LineIndex();
    try {
      for await (const { text, offset, length, number } of linesOf(path)) {
        if (number === 1 && !text.startsWith('{"summary":')) throw new UsageError(`--baseline ${path} is not a replay report (it does not start with its summary)`);
        if (!inItems) {
          if (text.startsWith('"run":')) run = parseLine(path, number, text.slice('"run":'.length)) as Partial<ReportRun>;
          inItems = text === '"items":[';
          continue;
        }
        if (text === ']}') break;
        const { file, line, referenceId } = keyOf(text) ?? (parseLine(path, number, text) as Partial<ReportItem>);
        if (typeof file !== 'string' || typeof line !== 'number') throw new UsageError(`--baseline ${path} line ${number}: not a report item (no file and line)`);
        lines.add(keyHash(file, line, referenceId ?? null), offset, length);
      }
    } catch (error) {
      throw error instanceof UsageError ? error : new UsageError(`--baseline ${path}: ${(error as Error).message}`);
    }
    if (!inItems) throw new UsageError(`--baseline ${path} is not a replay report (it has no "items")`);
    return new Baseline(path, await open(path), lines, run?.redacted ?? false);
  }

  /** The baseline's answer for this request: the one of the same file if it holds one, else of a file with the same name. */
  async answerFor(file: string, line: number, referenceId: number | null): Promise<Answer | undefined> {
    let sameName: Answer | undefined;
    for (const at of this.lines.find(keyHash(file, line, referenceId))) {
      const item = await this.readItem(at);
      // Another request whose key has the same hash, or one that has no answer (unparsed).
      if (!item.now || item.line !== line || item.referenceId !== referenceId || basename(item.file) !== basename(file)) continue;
      if (item.file === file) return item.now;
      sameName ??= item.now;
    }
    return sameName;
  }

  async close(): Promise<void> {
    await this.file.close();
  }

  private async readItem({ offset, length }: { offset: number; length: number }): Promise<ReportItem> {
    const bytes = Buffer.alloc(length);
    const { bytesRead } = await this.file.read(bytes, 0, length, offset);
    if (bytesRead < length) throw new UsageError(`--baseline ${this.path} changed during the replay`);
    return JSON.parse(itemText(bytes.toString('utf8'))) as ReportItem;
  }
}

/**
 * The key of an item line as `ReportWriter` writes it (file, line, peer and referenceId first),
 * read without parsing the whole line: its answers and renders are most of it, and parsing them
 * for a million items would make garbage by the gigabyte. Undefined for any other layout, which is
 * then parsed in full.
 */
const ITEM_KEY = /^\{"file":("(?:[^"\\]|\\.)*"),"line":(\d+),"peer":(?:null|"(?:[^"\\]|\\.)*"),"referenceId":(null|-?\d+),/;

function keyOf(text: string): Pick<ReportItem, 'file' | 'line' | 'referenceId'> | undefined {
  const match = ITEM_KEY.exec(text);
  if (!match) return undefined;
  return { file: JSON.parse(match[1]!) as string, line: Number(match[2]), referenceId: match[3] === 'null' ? null : Number(match[3]) };
}

/** An item line of a report, without the comma that separates it from the next. */
function itemText(line: string): string {
  return line.endsWith(',') ? line.slice(0, -1) : line;
}

function parseLine(path: string, number: number, text: string): unknown {
  try {
    return JSON.parse(itemText(text));
  } catch (error) {
    throw new UsageError(`--baseline ${path} line ${number}: ${(error as Error).message}`);
  }
}

/** Requests are found by their file's base name, line and ReferenceId (see `answerFor`), hashed: collisions are sorted out on reading. */
function keyHash(file: string, line: number, referenceId: number | null): number {
  return fnv1a(`${basename(file)}\n${line}\n${referenceId ?? ''}`);
}

/**
 * FNV-1a over UTF-16 code units, cut to 30 bits: V8 keeps such numbers inline (a small integer)
 * rather than as a heap number per map key. The few more collisions cost a read each.
 */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash & 0x3fffffff;
}

/**
 * Where the lines of a file lie, by a hash of their key: a map from hash to the first line, and
 * typed arrays for the positions and the chain of lines that share a hash.
 */
class LineIndex {
  private readonly firstByHash = new Map<number, number>();
  private offsets = new Float64Array(1024);
  private lengths = new Uint32Array(1024);
  private next = new Int32Array(1024);
  private count = 0;

  add(hash: number, offset: number, length: number): void {
    if (this.count === this.offsets.length) this.grow();
    const entry = this.count++;
    this.offsets[entry] = offset;
    this.lengths[entry] = length;
    this.next[entry] = this.firstByHash.get(hash) ?? -1;
    this.firstByHash.set(hash, entry);
  }

  *find(hash: number): Generator<{ offset: number; length: number }> {
    for (let entry = this.firstByHash.get(hash) ?? -1; entry >= 0; entry = this.next[entry]!) yield { offset: this.offsets[entry]!, length: this.lengths[entry]! };
  }

  private grow(): void {
    const size = this.offsets.length * 2;
    const offsets = new Float64Array(size);
    const lengths = new Uint32Array(size);
    const next = new Int32Array(size);
    offsets.set(this.offsets);
    lengths.set(this.lengths);
    next.set(this.next);
    [this.offsets, this.lengths, this.next] = [offsets, lengths, next];
  }
}

const NEWLINE = 10;
const CR = 13;
/** No item is this long: a file whose line is, was written otherwise (on one line, say), and would be held whole. */
const LONGEST_LINE = 16 * 1024 * 1024;

/** The lines of a file, each with its byte offset and length (line end excluded) and its 1-based number. */
async function* linesOf(path: string): AsyncGenerator<{ text: string; offset: number; length: number; number: number }> {
  let pending: Buffer = Buffer.alloc(0);
  let pendingOffset = 0;
  let number = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    const bytes = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
    if (bytes.indexOf(NEWLINE, pending.length) < 0 && bytes.length > LONGEST_LINE) {
      throw new UsageError(`--baseline ${path}: a line longer than ${LONGEST_LINE / 1024 / 1024} MB; a replay report has one item per line`);
    }
    let start = 0;
    for (let newline = bytes.indexOf(NEWLINE); newline >= 0; newline = bytes.indexOf(NEWLINE, start)) {
      // A report edited on Windows may end its lines with CRLF.
      const end = newline > start && bytes[newline - 1] === CR ? newline - 1 : newline;
      yield { text: bytes.toString('utf8', start, end), offset: pendingOffset + start, length: end - start, number: ++number };
      start = newline + 1;
    }
    pending = bytes.subarray(start);
    pendingOffset += start;
  }
  if (pending.length > 0) yield { text: pending.toString('utf8'), offset: pendingOffset, length: pending.length, number: ++number };
}
