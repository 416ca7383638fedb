import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Answer } from './classify.js';
import { extractRequestBatches, type LoggedReply, type LoggedRequest, type ReplayItem } from './extract-requests.js';
import type { Progress } from '../cli/progress.js';
import type { ReplayOptions } from './replay-options.js';
import type { ReportWriter } from './report-writer.js';
import { inTimeWindow } from './time-window.js';

/** A logged request to replay (still as text), with the reply the log holds for it. */
export type WorkItem = Omit<LoggedRequest, 'kind' | 'reply'> & { logged: Answer | null };

/**
 * The requests to replay, read from every log first into a scratch file: the replay then knows its
 * total (for the progress bar and the `--live` confirmation) without holding the requests in memory.
 */
export class WorkList {
  private constructor(
    private readonly directory: string,
    readonly count: number,
  ) {}

  /** Extracts and filters the logs' requests; unparsed blocks and skipped lines go straight to the report. */
  static async collect(files: { path: string }[], options: ReplayOptions, report: ReportWriter, progress: Progress): Promise<WorkList> {
    const directory = await mkdtemp(join(tmpdir(), 'invite-replay-work-'));
    const out = createWriteStream(join(directory, 'work.jsonl'));
    let count = 0;
    try {
      for (const file of files) {
        for await (const batch of extractRequestBatches(file.path, { onBytesRead: (bytes) => progress.increment(bytes) })) {
          for (const item of batch) {
            const work = await toWork(item, options, report);
            if (!work) continue;
            count++;
            if (!out.write(JSON.stringify(work) + '\n')) await once(out, 'drain');
          }
        }
      }
    } finally {
      out.end();
      await once(out, 'close');
    }
    return new WorkList(directory, count);
  }

  async *items(): AsyncGenerator<WorkItem> {
    const lines = createInterface({ input: createReadStream(join(this.directory, 'work.jsonl')), crlfDelay: Infinity });
    for await (const line of lines) if (line) yield JSON.parse(line) as WorkItem;
  }

  async remove(): Promise<void> {
    await rm(this.directory, { recursive: true, force: true });
  }
}

async function toWork(item: ReplayItem, options: ReplayOptions, report: ReportWriter): Promise<WorkItem | undefined> {
  switch (item.kind) {
    case 'skipped':
      report.summary.skippedLines += item.count;
      return undefined;
    case 'unparsed':
      // Only the time window can place a block that cannot be read.
      if (!inTimeWindow(item.time, options.since, options.until)) {
        report.summary.filtered++;
        return undefined;
      }
      await report.add({ file: item.file, line: item.line, peer: item.peer ?? null, referenceId: null, class: 'unparsed', logged: null, now: null, problem: item.problem });
      return undefined;
    case 'request': {
      if (!selected(item, options, 'scanned')) {
        report.summary.filtered++;
        return undefined;
      }
      const { kind: _kind, reply, ...logged } = item;
      return { ...logged, logged: reply ? answerOfReply(reply) : null };
    }
  }
}

/**
 * `--channel`, `--business-id`, `--since` and `--until`. On `scanned` fields (read before the full
 * parse) a value the scan could not read does not exclude the request: the full parse decides,
 * and a broken block is then reported rather than hidden by a filter.
 */
export function selected(fields: { channel?: string; businessId?: string; time?: string }, options: ReplayOptions, source: 'scanned' | 'parsed'): boolean {
  const excludes = (wanted: string | undefined, value: string | undefined) => wanted !== undefined && value !== wanted && (value !== undefined || source === 'parsed');
  if (excludes(options.channel, fields.channel) || excludes(options.businessId, fields.businessId)) return false;
  return inTimeWindow(fields.time, options.since, options.until);
}

function answerOfReply(reply: LoggedReply): Answer {
  if (reply.kind === 'response') return { result: 'success', line: reply.line };
  return { result: 'fault', FaultCode: reply.faultCode, FaultString: reply.faultString, line: reply.line };
}
