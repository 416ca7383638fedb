import { stat } from 'node:fs/promises';
import type { Answer } from './classify.js';
import { extractRequestBatches, type LoggedReply, type LoggedRequest, type UnparsedBlock } from './extract-requests.js';
import type { Progress } from '../cli-support/progress.js';
import type { ReplayOptions } from './replay-options.js';
import type { ReportWriter } from './report-writer.js';
import { inTimeWindow } from './time-window.js';
import { UsageError } from '../cli-support/gateway-target.js';

/** A logged request to replay (still as text), with the reply the log holds for it. */
export type WorkItem = Omit<LoggedRequest, 'kind' | 'reply'> & { logged: Answer | null };

/** A log as it was when the replay first read it. */
interface LogSnapshot {
  path: string;
  bytes: number;
  device: number;
  inode: number;
  modifiedMs: number;
}

/**
 * The requests to replay, read from the logs twice rather than held or copied: `collect` reads
 * them all once, for the total (the progress bar and the `--live` confirmation), the unparsed
 * blocks and the skipped lines; `items` reads them again as they are replayed, which is paced far
 * below reading speed. Memory stays flat and no scratch copy of the logs is written. The second
 * reading stops where the first did, so lines a server appends to a log meanwhile are left out; a
 * log replaced or rewritten in between is refused.
 */
export class WorkList {
  private constructor(
    private readonly logs: LogSnapshot[],
    private readonly options: ReplayOptions,
    readonly count: number,
    /** Lines in the logs read, for the sentence of a run that found no request. */
    readonly linesRead: number,
  ) {}

  /**
   * Reads the logs once: counts the requests to replay, and reports unparsed blocks and skipped
   * lines. Stops early when `stop` is aborted (Ctrl-C): the replay then starts nothing.
   */
  static async collect(files: { path: string }[], options: ReplayOptions, report: ReportWriter, progress: Progress, stop?: AbortSignal): Promise<WorkList> {
    const logs: LogSnapshot[] = [];
    let count = 0;
    let lines = 0;
    const onLinesRead = (read: number) => (lines += read);
    for (const file of files) {
      const log = await snapshot(file.path);
      logs.push(log);
      for await (const batch of extractRequestBatches(log.path, { bytes: log.bytes, onBytesRead: (bytes) => progress.increment(bytes), onLinesRead })) {
        if (stop?.aborted) return new WorkList(logs, options, count, lines);
        for (const item of batch) {
          if (item.kind === 'skipped') report.summary.skippedLines += item.count;
          else if (item.kind === 'unparsed') await reportUnparsed(item, options, report);
          else if (selected(item, options, 'scanned')) count++;
          else report.summary.filtered++;
        }
      }
    }
    return new WorkList(logs, options, count, lines);
  }

  /** Reads the logs again, as far as `collect` did: the requests to replay, in the same order. */
  async *items(): AsyncGenerator<WorkItem> {
    for (const log of this.logs) {
      await checkUnchanged(log);
      for await (const batch of extractRequestBatches(log.path, { bytes: log.bytes })) {
        for (const item of batch) if (item.kind === 'request' && selected(item, this.options, 'scanned')) yield toWork(item);
      }
    }
  }
}

async function snapshot(path: string): Promise<LogSnapshot> {
  const info = await stat(path);
  return { path, bytes: info.size, device: info.dev, inode: info.ino, modifiedMs: info.mtimeMs };
}

/** A log may have grown (servers append to it); any other change means its requests are no longer the ones counted. */
async function checkUnchanged(log: LogSnapshot): Promise<void> {
  const now = await snapshot(log.path).catch(() => undefined);
  const replaced = !now || now.device !== log.device || now.inode !== log.inode;
  const rewritten = now !== undefined && (now.bytes < log.bytes || (now.bytes === log.bytes && now.modifiedMs !== log.modifiedMs));
  if (replaced || rewritten) throw new UsageError(`${log.path} was ${replaced ? 'replaced or removed' : 'rewritten'} after it was read: run the replay again`);
}

/** Only the time window can place a block that cannot be read. */
async function reportUnparsed(item: UnparsedBlock, options: ReplayOptions, report: ReportWriter): Promise<void> {
  if (!inTimeWindow(item.time, options.since, options.until)) {
    report.summary.filtered++;
    return;
  }
  await report.add({ file: item.file, line: item.line, peer: item.peer ?? null, referenceId: null, class: 'unparsed', logged: null, now: null, problem: item.problem });
}

function toWork({ kind: _kind, reply, ...logged }: LoggedRequest): WorkItem {
  return { ...logged, logged: reply ? answerOfReply(reply) : null };
}

/**
 * `--channel`, `--business-id`, `--since` and `--until`. On `scanned` fields (read before the full
 * parse) a value the scan could not read does not exclude the request: the full parse decides,
 * and a broken block is then reported rather than hidden by a filter.
 */
export function selected(fields: { channel?: string; businessId?: string; time?: string }, options: ReplayOptions, source: 'scanned' | 'parsed'): boolean {
  if (excludes(options.channel, fields.channel, source) || excludes(options.businessId, fields.businessId, source)) return false;
  return inTimeWindow(fields.time, options.since, options.until);
}

function excludes(wanted: string | undefined, value: string | undefined, source: 'scanned' | 'parsed'): boolean {
  return wanted !== undefined && value !== wanted && (value !== undefined || source === 'parsed');
}

function answerOfReply(reply: LoggedReply): Answer {
  if (reply.kind === 'response') return { result: 'success', line: reply.line };
  return { result: 'fault', FaultCode: reply.faultCode, FaultString: reply.faultString, line: reply.line };
}
