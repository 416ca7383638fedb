import { createInterface } from 'node:readline/promises';
import { problemLine, TargetError, UsageError } from '../cli-support/gateway-target.js';
import { parseReplayArgs, REPLAY_USAGE, type ReplayOptions } from '../replay/replay-options.js';
import { htmlPathFor } from '../replay/report-writer.js';
import { CLASS_LABELS, type ReplaySummary, type ReportItem } from '../replay/report.js';
import { runReplay, TERMINAL_UI } from '../replay/run-replay.js';
import { labelTable } from './label-table.js';

/**
 * `invite-gateway replay …`: returns the exit status of docs/protocol.md#replay-exit-status (0 same,
 * 1 differences, 2 usage/connection, 130 stopped by Ctrl-C).
 */
export async function replayCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(REPLAY_USAGE);
    return 0;
  }
  let options: ReplayOptions;
  try {
    options = parseReplayArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${problemLine('replay', error)}\n\n${REPLAY_USAGE}`);
    return 2;
  }
  const interrupt = new AbortController();
  // The first Ctrl-C stops the replay cleanly (summary, reports, no scratch left); a second one quits at once.
  const onInterrupt = () => {
    console.error('replay: stopping: the requests in flight end, then the summary and report of what was replayed (Ctrl-C again quits at once)');
    interrupt.abort();
  };
  process.once('SIGINT', onInterrupt);
  try {
    const outcome = await runReplay(options, { ...TERMINAL_UI, interrupted: interrupt.signal, confirmLive: (requests, target) => confirmLive(requests, target, options.yes, interrupt.signal) });
    if (outcome.summary.incomplete) console.log(`stopped by Ctrl-C: incomplete, the figures below cover the ${outcome.summary.requests} requests replayed until then\n`);
    console.log(summaryTable(outcome.summary));
    if (outcome.empty) console.error(`replay: ${outcome.empty}`);
    if (outcome.firstDifferences.length > 0) console.log(`\n${differenceLines(outcome.firstDifferences)}`);
    if (options.report) console.log(`\nreport: ${options.report} and ${htmlPathFor(options.report)}`);
    return outcome.exitStatus;
  } catch (error) {
    if (error instanceof UsageError || error instanceof TargetError) {
      console.error(problemLine('replay', error));
      return 2;
    }
    throw error;
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

/** `--live` sends real invites: a person types "yes" on a terminal, a script passes `--yes`. */
async function confirmLive(requests: number, target: string, yes: boolean, interrupted: AbortSignal): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY) {
    console.error('replay: --live sends real invites; pass --yes to confirm when not on a terminal');
    return false;
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(`Send ${requests} real invites to ${target}? Type "yes" to go on: `, { signal: interrupted }).catch(() => 'no');
    return answer.trim().toLowerCase() === 'yes';
  } finally {
    prompt.close();
  }
}

function summaryTable(summary: ReplaySummary): string {
  const rows: [string, number][] = [
    ['requests', summary.requests],
    ...Object.entries(CLASS_LABELS).map(([key, label]): [string, number] => [label, summary[key as keyof typeof CLASS_LABELS]]),
    ['skipped lines', summary.skippedLines],
    ['left out by filters', summary.filtered],
  ];
  return labelTable(rows);
}

function differenceLines(items: ReportItem[]): string {
  return items
    .map((item) => {
      const detail = item.problem ?? `${describe(item.logged ?? item.baseline)} -> ${describe(item.now)}`;
      return `${CLASS_LABELS[item.class]}: ${item.file}:${item.line} ${detail}`;
    })
    .join('\n');
}

function describe(answer: ReportItem['now'] | undefined): string {
  if (!answer) return 'nothing to compare';
  return answer.result === 'success' ? 'success' : `fault ${answer.FaultCode}`;
}
