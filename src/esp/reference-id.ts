import { fault } from './faults.js';
import type { KvValue } from './kvlist.js';

/**
 * The one ReferenceId rule of the three wire forms: an integer that fits 32 bits. Clients send
 * it signed or unsigned, so -2^31 … 2^32-1 is accepted; a decimal string of one reads as it.
 */
const LOWEST = -(2 ** 31);
const HIGHEST = 2 ** 32 - 1;
const DECIMAL = /^-?\d{1,11}$/;

/** The ReferenceId a request carries, undefined when it has none; fault 1001 when it breaks the rule. */
export function referenceIdOf(value: KvValue | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = typeof value === 'number' ? value : typeof value === 'string' ? decimalOf(value.trim()) : undefined;
  if (number === undefined || !isReferenceId(number)) throw fault('bodyUnreadable', 'ReferenceId must be a 32-bit integer');
  return number;
}

/**
 * Best effort, for faults about an unreadable body: the digits a form's quick match found, as a
 * ReferenceId when they obey the rule (a longer number is not cut down to an id the client never sent).
 */
export function peekedReferenceId(digits: string | undefined): number | undefined {
  const number = digits === undefined ? undefined : decimalOf(digits);
  return number !== undefined && isReferenceId(number) ? number : undefined;
}

function decimalOf(text: string): number | undefined {
  return DECIMAL.test(text) ? Number(text) : undefined;
}

function isReferenceId(number: number): boolean {
  return Number.isInteger(number) && number >= LOWEST && number <= HIGHEST;
}
