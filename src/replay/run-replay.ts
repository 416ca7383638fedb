import { Baseline } from './baseline.js';
import { classify, type Answer } from './classify.js';
import { GatewayClient } from './gateway-client.js';
import { listLogFiles } from './log-files.js';
import { createProgress, sizeUnit, type Progress } from '../cli-support/progress.js';
import { Redactor } from './redact.js';
import { UsageError } from '../cli-support/gateway-target.js';
import type { ReplayOptions } from './replay-options.js';
import { hasDifferences, type ReplaySummary, type ReportItem, type ReportRun } from './report.js';
import { ReportWriter } from './report-writer.js';
import { getScalar } from '../esp/kvlist.js';
import type { EspRequest } from '../esp/model.js';
import { parametersOf, parseLoggedRequest } from './extract-requests.js';
import { selected, WorkList, type WorkItem } from './work-list.js';

export interface ReplayUi {
  /** Asked before a live replay; false stops the run. */
  confirmLive(requests: number, target: string): Promise<boolean>;
  progress(label: string, unit: string, scale?: number): Progress;
  /** Aborted by Ctrl-C: no more requests start, those in flight end, and the report covers what was replayed. */
  interrupted?: AbortSignal;
}

export interface ReplayOutcome {
  summary: ReplaySummary;
  firstDifferences: ReportItem[];
  /**
   * 0 nothing changed, 1 differences or unparsed requests, 130 stopped by Ctrl-C (whatever was
   * replayed until then: a partial run must not pass a CI gate). Usage and connection errors throw.
   */
  exitStatus: 0 | 1 | 130;
  /** A run that found no InviteToChat request: a sentence saying how much it read (exit 1 unless `--allow-empty`). */
  empty?: string;
}

export const TERMINAL_UI: Omit<ReplayUi, 'confirmLive'> = { progress: (label, unit, scale) => createProgress(label, unit, scale) };

/**
 * Replays logged InviteToChat requests against a gateway (docs/protocol.md#replay): read every log once to
 * count its requests, replay them at the asked rate and concurrency as the logs are read again,
 * compare each answer with the logged one (and the baseline's render), and write the report.
 * Throws UsageError or TargetError for the cases that exit with 2.
 */
export async function runReplay(options: ReplayOptions, ui: ReplayUi): Promise<ReplayOutcome> {
  const files = await listLogFiles(options.paths);
  const baseline = options.baseline ? await Baseline.load(options.baseline) : undefined;
  try {
    return await replayFiles(files, baseline, options, ui);
  } finally {
    await baseline?.close();
  }
}

async function replayFiles(files: { path: string; bytes: number }[], baseline: Baseline | undefined, options: ReplayOptions, ui: ReplayUi): Promise<ReplayOutcome> {
  const client = new GatewayClient(options.target, options.apiKey, !options.live);
  // Before reading: a filter that leaves no request must not hide a wrong target or key.
  await client.checkTarget();
  const run: ReportRun = { target: options.target, mode: options.live ? 'live' : 'dryRun', redacted: options.redact, files: files.map((f) => f.path), startedAt: new Date().toISOString() };

  const report = await ReportWriter.create(options.report);
  const interrupted = ui.interrupted;
  let work: WorkList | undefined;
  try {
    work = await readLogs(files, options, report, ui);
    if (!interrupted?.aborted) {
      if (options.live && !(await ui.confirmLive(work.count, options.target))) throw new UsageError('live replay not confirmed: nothing was sent');
      const replay = ui.progress('replaying', 'requests');
      replay.start(work.count);
      await forEachPaced(work.items(), { rate: options.rate, concurrency: options.concurrency, stop: interrupted }, async (item) => {
        const reportItem = await replayOne(item, client, baseline, options, report);
        if (reportItem) await report.add(reportItem);
        replay.increment();
      });
      replay.stop();
    }
    // Marked only now: a Ctrl-C after the last request started changed nothing.
    if (interrupted?.aborted) report.summary.incomplete = true;
  } finally {
    // Also after a failure or Ctrl-C: the report holds what was replayed, and the scratch files go.
    await report.finish(options.report, { ...run, finishedAt: new Date().toISOString() });
  }
  const outcome: ReplayOutcome = { summary: report.summary, firstDifferences: report.firstDifferences, exitStatus: exitStatusOf(report.summary) };
  return foundNothing(report.summary, work) ? emptyRun(outcome, files.length, work!.linesRead, options.allowEmpty) : outcome;
}

/** No request at all, not even one left out by a filter or unparsed: most likely logs the reader does not understand. */
function foundNothing(summary: ReplaySummary, work: WorkList | undefined): boolean {
  return work !== undefined && !summary.incomplete && summary.requests === 0 && summary.filtered === 0;
}

function emptyRun(outcome: ReplayOutcome, files: number, lines: number, allowEmpty: boolean): ReplayOutcome {
  const empty = `no InviteToChat request found in ${files} ${files === 1 ? 'file' : 'files'} (${lines} ${lines === 1 ? 'line' : 'lines'} read)${allowEmpty ? '' : '; --allow-empty makes this exit 0'}`;
  return { ...outcome, empty, exitStatus: allowEmpty ? outcome.exitStatus : 1 };
}

function exitStatusOf(summary: ReplaySummary): ReplayOutcome['exitStatus'] {
  if (summary.incomplete) return 130;
  return hasDifferences(summary) ? 1 : 0;
}

async function readLogs(files: { path: string; bytes: number }[], options: ReplayOptions, report: ReportWriter, ui: ReplayUi): Promise<WorkList> {
  const bytes = files.reduce((sum, file) => sum + file.bytes, 0);
  const { unit, scale } = sizeUnit(bytes);
  const reading = ui.progress('reading logs', unit, scale);
  reading.start(bytes);
  try {
    return await WorkList.collect(files, options, report, reading, ui.interrupted);
  } finally {
    reading.stop();
  }
}

/**
 * Parses one logged request in full, sends it and compares the answer. Undefined when there is
 * nothing to report: the request turned out not to be an InviteToChat, or outside the filters.
 */
async function replayOne(item: WorkItem, client: GatewayClient, baseline: Baseline | undefined, options: ReplayOptions, report: ReportWriter): Promise<ReportItem | undefined> {
  const referenceId = item.referenceId ?? null;
  const peer = item.peer ?? null;
  const parsed = parseLoggedRequest(item);
  if (parsed.kind === 'unparsed') return { file: item.file, line: item.line, peer, referenceId, class: 'unparsed', logged: null, now: null, problem: parsed.problem };
  if (parsed.kind === 'otherMethod') {
    report.summary.skippedLines += item.text.split('\n').length;
    return undefined;
  }
  const request = parsed.request;
  const invite = inviteOf(request);
  if (!selected({ ...invite, time: item.time }, options, 'parsed')) {
    report.summary.filtered++;
    return undefined;
  }
  const redact = options.redact;
  const answer = await client.send(request);
  const redactor = new Redactor(request);
  const before = await baseline?.answerFor(item.file, item.line, referenceId);
  // Renders compare in the form the baseline stored them.
  const nowAsBaselineStored = baseline?.redacted ? maskAnswer(answer, redactor) : answer;
  const itemClass = classify(item.logged, nowAsBaselineStored, before);
  return {
    file: item.file,
    line: item.line,
    peer,
    referenceId,
    class: itemClass,
    logged: redact && item.logged ? maskAnswer(item.logged, redactor) : item.logged,
    now: redact ? maskAnswer(answer, redactor) : answer,
    ...(before ? { baseline: before } : {}),
    invite: redact ? { ...invite, clientId: invite.clientId === undefined ? undefined : redactor.text(invite.clientId) } : invite,
  };
}

function maskAnswer(answer: Answer, redactor: Redactor): Answer {
  return {
    ...answer,
    ...(answer.FaultString === undefined ? {} : { FaultString: redactor.faultString(answer.FaultString) }),
    ...(typeof answer.rendered === 'string' ? { rendered: redactor.text(answer.rendered) } : {}),
  };
}

function inviteOf(request: EspRequest): NonNullable<ReportItem['invite']> {
  const parameters = parametersOf(request);
  return {
    channel: getScalar(parameters, '_umsChannel'),
    businessId: getScalar(parameters, '_umsBusinessId'),
    standardResponseId: getScalar(parameters, 'StandardResponseId'),
    clientId: getScalar(parameters, '_umsClientId'),
  };
}

/**
 * Runs `task` for each item, starting at most `rate` per second and keeping at most `concurrency`
 * in flight. After a slow stretch it does not burst to catch up. The first failure (of a task or of
 * reading the items) stops new starts and is thrown once the tasks in flight have ended. `stop`
 * aborted stops new starts too (the wait for the next start included), without a failure.
 */
export async function forEachPaced<T>(items: AsyncIterable<T>, pace: { rate: number; concurrency: number; stop?: AbortSignal }, task: (item: T) => Promise<void>): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  const intervalMs = 1000 / pace.rate;
  let nextStart = performance.now();
  let failure: { error: unknown } | undefined;
  try {
    for await (const item of items) {
      while (inFlight.size >= pace.concurrency) await Promise.race(inFlight);
      if (failure || pace.stop?.aborted) break;
      const wait = nextStart - performance.now();
      if (wait > 0) await waitUnlessStopped(wait, pace.stop);
      if (pace.stop?.aborted) break;
      nextStart = Math.max(nextStart, performance.now()) + intervalMs;
      const running: Promise<void> = task(item)
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => inFlight.delete(running));
      inFlight.add(running);
    }
  } finally {
    // Also when reading the items fails: the tasks in flight end before anything after this runs.
    await Promise.all(inFlight);
  }
  if (failure) throw failure.error;
}

/** Resolves after `ms`, or as soon as `stop` is aborted. */
function waitUnlessStopped(ms: number, stop: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      stop?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    stop?.addEventListener('abort', done, { once: true });
  });
}
