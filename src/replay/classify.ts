/** What one ESP request was answered with: in the log, by the gateway now, or in a baseline report. */
export interface Answer {
  result: 'success' | 'fault';
  FaultCode?: number;
  FaultString?: string;
  /** Dry runs only: the provider body as a JSON string, null for an invite without a standard response. */
  rendered?: string | null;
  /** Logged answers: the line of the reply in the log. */
  line?: number;
}

export type ReplayClass = 'same' | 'newlyFailing' | 'newlyPassing' | 'changedFault' | 'changedRendering' | 'unparsed' | 'unpaired';

/** Differences first in reports; `same` and `unpaired` (nothing to compare with) last. */
export const DIFFERENCE_CLASSES: readonly ReplayClass[] = ['newlyFailing', 'changedFault', 'newlyPassing', 'changedRendering', 'unparsed'];

/**
 * Compares today's answer with what was answered before. The logged reply is the reference for the
 * outcome (success or fault, and which fault); a request logged without a reply (a JSON line, a
 * reply outside the file) is held against the baseline's answer instead. Renders can only be
 * compared with a baseline, since logs do not hold them. A request with neither a logged reply nor a
 * baseline answer is `unpaired`: its answer now is reported, and it changes no exit status.
 */
export function classify(logged: Answer | null, now: Answer, baseline: Answer | undefined): ReplayClass {
  const reference = logged ?? baseline;
  // Nothing to hold today's answer against: not `same`, which would claim a comparison was made.
  if (!reference) return 'unpaired';
  if (reference.result === 'success' && now.result === 'fault') return 'newlyFailing';
  if (reference.result === 'fault' && now.result === 'success') return 'newlyPassing';
  if (reference.result === 'fault' && now.result === 'fault' && reference.FaultCode !== now.FaultCode) return 'changedFault';
  if (baseline?.result === 'success' && now.result === 'success' && renderChanged(baseline.rendered, now.rendered)) return 'changedRendering';
  return 'same';
}

/** Renders exist only in dry runs; a live answer (undefined) compares with nothing. */
function renderChanged(before: string | null | undefined, after: string | null | undefined): boolean {
  return before !== undefined && after !== undefined && before !== after;
}
