import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { getEntry, isKvList } from '../esp/kvlist.js';
import type { EspRequest } from '../esp/model.js';
import type { Answer } from './classify.js';
import { extractRequests, type LoggedReply, type ReplayItem } from './extract-requests.js';
import type { Progress } from './progress.js';
import type { ReplayOptions } from './replay-options.js';
import type { ReportWriter } from './report-writer.js';
import { inTimeWindow } from './time-window.js';

/** A logged request to replay, with the reply the log holds for it. */
export interface WorkItem {
  file: string;
  line: number;
  peer: string | null;
  request: EspRequest;
  logged: Answer | null;
}

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
        for await (const item of extractRequests(file.path, { onBytesRead: (bytes) => progress.increment(bytes) })) {
          const work = await toWork(item, options, report);
          if (!work) continue;
          count++;
          if (!out.write(JSON.stringify(work) + '\n')) await once(out, 'drain');
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
      await report.add({ file: item.file, line: item.line, peer: null, referenceId: null, class: 'unparsed', logged: null, now: null, problem: item.problem });
      return undefined;
    case 'json':
    case 'request': {
      const time = item.kind === 'request' ? item.time : undefined;
      if (!selected(item.request, time, options)) {
        report.summary.filtered++;
        return undefined;
      }
      const peer = item.kind === 'request' ? (item.peer ?? null) : null;
      const reply = item.kind === 'request' ? item.reply : undefined;
      return { file: item.file, line: item.line, peer, request: item.request, logged: reply ? answerOfReply(reply) : null };
    }
  }
}

function selected(request: EspRequest, time: string | undefined, options: ReplayOptions): boolean {
  const parameters = getEntry(request.request, 'Parameters');
  const parameter = (key: string) => {
    const value = isKvList(parameters) ? getEntry(parameters, key) : undefined;
    return value === undefined || isKvList(value) ? undefined : String(value);
  };
  if (options.channel !== undefined && parameter('_umsChannel') !== options.channel) return false;
  if (options.businessId !== undefined && parameter('_umsBusinessId') !== options.businessId) return false;
  return inTimeWindow(time, options.since, options.until);
}

function answerOfReply(reply: LoggedReply): Answer {
  if (reply.kind === 'response') return { result: 'success', line: reply.line };
  return { result: 'fault', FaultCode: reply.faultCode, FaultString: reply.faultString, line: reply.line };
}
