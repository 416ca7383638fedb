import { isKvList, newKvList, type KvList } from '../esp/kvlist.js';

/**
 * Keeps the last four characters of a customer identifier and hides the rest, keeping a leading
 * `+` so a masked phone number still reads as one: `+15551230001` -> `+*******0001`.
 */
export function maskIdentifier(value: string): string {
  const plus = value.startsWith('+') ? '+' : '';
  const body = value.slice(plus.length);
  if (body.length <= 4) return plus + '*'.repeat(body.length);
  return plus + '*'.repeat(body.length - 4) + body.slice(-4);
}

/** Contact-identification keys always masked in user data, beside a channel's own `contactIdKeys`. */
export const ALWAYS_MASKED_KEYS = ['PhoneNumber'];

/** A copy of user data whose contact-identification values are masked (nested lists too). */
export function maskUserData(userData: KvList, keys: readonly string[]): KvList {
  const masked = newKvList();
  for (const key of Object.keys(userData)) {
    const value = userData[key];
    if (value === undefined) continue;
    if (isKvList(value)) masked[key] = maskUserData(value, keys);
    else masked[key] = keys.includes(key) ? maskIdentifier(String(value)) : value;
  }
  return masked;
}
