import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Answer } from './classify.js';
import type { ReportItem, ReportRun } from './report.js';
import { UsageError } from '../cli/gateway-target.js';

/**
 * A previous report, as the reference for renders (and for answers of requests logged without a
 * reply). Requests are matched by file, line and ReferenceId; when the logs were copied elsewhere
 * since, by the file's base name.
 */
export class Baseline {
  private constructor(
    private readonly answers: Map<string, Answer>,
    /** Whether its renders were stored masked: today's are masked the same way before comparing. */
    readonly redacted: boolean,
  ) {}

  static async load(path: string): Promise<Baseline> {
    let report: { run?: Partial<ReportRun>; items?: ReportItem[] };
    try {
      report = JSON.parse(await readFile(path, 'utf8')) as typeof report;
    } catch (error) {
      throw new UsageError(`--baseline ${path}: ${(error as Error).message}`);
    }
    if (!Array.isArray(report.items)) throw new UsageError(`--baseline ${path} is not a replay report (it has no "items")`);
    const answers = new Map<string, Answer>();
    for (const item of report.items) {
      if (!item.now) continue;
      answers.set(fullKey(item.file, item.line, item.referenceId), item.now);
      answers.set(shortKey(item.file, item.line, item.referenceId), item.now);
    }
    return new Baseline(answers, report.run?.redacted ?? false);
  }

  answerFor(file: string, line: number, referenceId: number | null): Answer | undefined {
    return this.answers.get(fullKey(file, line, referenceId)) ?? this.answers.get(shortKey(file, line, referenceId));
  }
}

const fullKey = (file: string, line: number, referenceId: number | null) => `${file}\n${line}\n${referenceId ?? ''}`;
const shortKey = (file: string, line: number, referenceId: number | null) => `${basename(file)}\n${line}\n${referenceId ?? ''}`;
