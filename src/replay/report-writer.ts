import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { writeHtmlReport } from './report-html.js';
import { UsageError } from '../cli-support/gateway-target.js';
import { emptySummary, isDifference, type ReplaySummary, type ReportItem, type ReportRun } from './report.js';

/** How many differences are kept in memory for the terminal summary. */
const DIFFERENCES_SHOWN = 20;

/**
 * Collects report items as answers come in. Items go to two scratch files (differences and the
 * rest) rather than memory, so a replay of a week of logs runs in flat memory; `finish` writes
 * the report with the differences first.
 */
export class ReportWriter {
  readonly summary: ReplaySummary = emptySummary();
  /** The first differences, for the terminal. */
  readonly firstDifferences: ReportItem[] = [];
  private readonly drainWaits = new Map<WriteStream, Promise<unknown>>();
  private constructor(
    private readonly directory: string,
    private readonly differences: WriteStream,
    private readonly same: WriteStream,
  ) {}

  /** Checks up front that the report can be written: a bad path must not surface after an hour of replay. */
  static async create(reportPath?: string): Promise<ReportWriter> {
    if (reportPath) await checkWritable(reportPath);
    const directory = await mkdtemp(join(tmpdir(), 'invite-replay-'));
    return new ReportWriter(directory, createWriteStream(join(directory, 'differences.jsonl')), createWriteStream(join(directory, 'same.jsonl')));
  }

  async add(item: ReportItem): Promise<void> {
    this.summary.requests++;
    this.summary[item.class]++;
    const isSame = !isDifference(item.class);
    if (!isSame && this.firstDifferences.length < DIFFERENCES_SHOWN) this.firstDifferences.push(item);
    const stream = isSame ? this.same : this.differences;
    if (!stream.write(JSON.stringify(item) + '\n')) await this.drained(stream);
  }

  /**
   * The stream has drained. Answers come in concurrently (`--concurrency`): they share one wait,
   * rather than each adding its own listeners to the stream.
   */
  private drained(stream: WriteStream): Promise<unknown> {
    let waiting = this.drainWaits.get(stream);
    if (!waiting) {
      // Forgotten before its waiters resume: a write that fills the stream again waits for the next drain.
      const forget = () => this.drainWaits.delete(stream);
      waiting = once(stream, 'drain').then(forget, (error: unknown) => {
        forget();
        throw error;
      });
      this.drainWaits.set(stream, waiting);
    }
    return waiting;
  }

  /**
   * Writes `<report>.json` (one item per line, so it streams back in as a baseline) and
   * `<report>.html` beside it, then removes the scratch files.
   */
  async finish(reportPath: string | undefined, run: ReportRun): Promise<void> {
    await Promise.all([closeStream(this.differences), closeStream(this.same)]);
    try {
      if (reportPath) {
        await this.writeJson(reportPath, run);
        await writeHtmlReport(htmlPathFor(reportPath), this.summary, run, () => this.items());
      }
    } finally {
      await rm(this.directory, { recursive: true, force: true });
    }
  }

  /** Every item, differences first. */
  private async *items(): AsyncGenerator<ReportItem> {
    for (const name of ['differences.jsonl', 'same.jsonl']) {
      for await (const line of createInterface({ input: createReadStream(join(this.directory, name)), crlfDelay: Infinity })) {
        if (line) yield JSON.parse(line) as ReportItem;
      }
    }
  }

  private async writeJson(path: string, run: ReportRun): Promise<void> {
    const out = (await open(path, 'w')).createWriteStream();
    const write = async (text: string) => {
      if (!out.write(text)) await once(out, 'drain');
    };
    await write(`{"summary":${JSON.stringify(this.summary)},\n"run":${JSON.stringify(run)},\n"items":[`);
    let first = true;
    for await (const item of this.items()) {
      await write(`${first ? '\n' : ',\n'}${JSON.stringify(item)}`);
      first = false;
    }
    await write('\n]}\n');
    await closeStream(out);
  }
}

/** `out.json` → `out.html`; any other name gets `.html` appended. */
export function htmlPathFor(reportPath: string): string {
  return reportPath.endsWith('.json') ? `${reportPath.slice(0, -'.json'.length)}.html` : `${reportPath}.html`;
}

async function checkWritable(reportPath: string): Promise<void> {
  try {
    await mkdir(dirname(reportPath), { recursive: true });
    for (const path of [reportPath, htmlPathFor(reportPath)]) await (await open(path, 'a')).close();
  } catch (error) {
    throw new UsageError(`--report ${reportPath}: ${(error as Error).message}`);
  }
}

async function closeStream(stream: WriteStream): Promise<void> {
  stream.end();
  await once(stream, 'close');
}
