import type { Answer, ReplayClass } from './classify.js';

/** One replayed (or unparsed) request in the report (docs/protocol.md#replay). */
export interface ReportItem {
  file: string;
  line: number;
  peer: string | null;
  referenceId: number | null;
  class: ReplayClass;
  /** The reply found in the log; null for JSON lines and requests whose reply is not in the file. */
  logged: Answer | null;
  /** The gateway's answer today; null when the request could not be parsed. */
  now: Answer | null;
  /** The baseline report's answer, when a baseline was given and holds this request. */
  baseline?: Answer;
  /** Which invite this was, so a reader can find it without opening the log. */
  invite?: { channel?: string; businessId?: string; standardResponseId?: string; clientId?: string };
  /** Unparsed items: what is wrong with the block. */
  problem?: string;
}

export interface ReplaySummary {
  requests: number;
  same: number;
  newlyFailing: number;
  newlyPassing: number;
  changedFault: number;
  changedRendering: number;
  unparsed: number;
  /** Requests with no logged reply and no baseline answer: reported, not compared. */
  unpaired: number;
  skippedLines: number;
  /** Requests left out by --channel, --business-id, --since and --until. */
  filtered: number;
  /** Present (true) when Ctrl-C stopped the run: the counts and items cover only what was replayed before. */
  incomplete?: true;
}

/** Run facts written beside the summary; `redacted` tells a later `--baseline` how renders were stored. */
export interface ReportRun {
  target: string;
  mode: 'dryRun' | 'live';
  redacted: boolean;
  files: string[];
  startedAt: string;
  finishedAt?: string;
}

export function emptySummary(): ReplaySummary {
  return { requests: 0, same: 0, newlyFailing: 0, newlyPassing: 0, changedFault: 0, changedRendering: 0, unparsed: 0, unpaired: 0, skippedLines: 0, filtered: 0 };
}

/** Anything but `same` and `unpaired` makes the run exit with 1 (130 when incomplete). */
export function hasDifferences(summary: ReplaySummary): boolean {
  return summary.requests !== summary.same + summary.unpaired;
}

/** Whether an item is a difference (listed first, changes the exit status). */
export function isDifference(itemClass: ReplayClass): boolean {
  return itemClass !== 'same' && itemClass !== 'unpaired';
}

/** Report headings in the order readers want them: what broke first. */
export const CLASS_LABELS: Record<ReplayClass, string> = {
  newlyFailing: 'newly failing',
  changedFault: 'changed fault',
  newlyPassing: 'newly passing',
  changedRendering: 'changed rendering',
  unparsed: 'unparsed',
  same: 'same',
  unpaired: 'unpaired (no logged reply, no baseline)',
};
