/**
 * `--since` / `--until` against the times logs carry. Server logs usually print only the time of
 * day (`12:00:01.123`), some the date too (`2026-11-23 12:00:01,123`), so a bound is either.
 */
export interface TimeBound {
  /** `YYYY-MM-DD` when the bound names a day. */
  date?: string;
  /** Milliseconds since midnight. */
  timeOfDayMs: number;
}

const TIME = /^(?:(\d{4}-\d{2}-\d{2})[T ])?(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,3})\d*)?)?/;

/** A bound or a log time; undefined for text that is neither. */
export function parseTimeBound(text: string): TimeBound | undefined {
  const match = TIME.exec(text.trim());
  if (!match) return undefined;
  const [, date, hours, minutes, seconds = '0', fraction = '0'] = match;
  const h = Number(hours);
  const m = Number(minutes);
  const s = Number(seconds);
  if (h > 23 || m > 59 || s > 59) return undefined;
  const ms = Number(fraction.padEnd(3, '0'));
  return { date, timeOfDayMs: ((h * 60 + m) * 60 + s) * 1000 + ms };
}

/**
 * Whether a logged time falls in `[since, until)`. Days are compared only when both sides name
 * one; a message without a time (a JSON line) is outside any window, since it cannot be placed.
 */
export function inTimeWindow(loggedTime: string | undefined, since?: TimeBound, until?: TimeBound): boolean {
  if (!since && !until) return true;
  const time = loggedTime === undefined ? undefined : parseTimeBound(loggedTime);
  if (!time) return false;
  if (since && compare(time, since) < 0) return false;
  if (until && compare(time, until) >= 0) return false;
  return true;
}

function compare(time: TimeBound, bound: TimeBound): number {
  if (time.date && bound.date && time.date !== bound.date) return time.date < bound.date ? -1 : 1;
  return time.timeOfDayMs - bound.timeOfDayMs;
}
