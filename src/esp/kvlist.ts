/**
 * The ESP key-value list (Genesys `KVList`), the one data shape every wire form parses into.
 *
 * Lists are plain objects without a prototype, so a key such as `__proto__` or `constructor`
 * taken from a request is an ordinary entry and can never reach `Object.prototype`.
 */
export type KvValue = string | number | KvList;

export interface KvList {
  [key: string]: KvValue;
}

/** A new, empty list with no prototype. */
export function newKvList(): KvList {
  return Object.create(null) as KvList;
}

/** Type guard: the value is a nested list (not a string or an integer). */
export function isKvList(value: KvValue | undefined): value is KvList {
  return typeof value === 'object' && value !== null;
}

/**
 * IRD types parameter keys with a prefix: `{s}` string, `{i}` integer, `{l}` list.
 * The prefix carries no meaning once the value is parsed, so it is dropped.
 */
export function stripIrdPrefix(key: string): string {
  // A character test first: this runs for every entry of every parsed request.
  return key.charCodeAt(0) === 123 /* { */ && /^\{[sil]\}/.test(key) ? key.slice(3) : key;
}

/**
 * Adds an entry the way ESP lists resolve repeated keys: the first one wins.
 * Keys are compared after the IRD prefix is stripped, so `{s}X` and `X` are the same key.
 */
export function addEntry(list: KvList, rawKey: string, value: KvValue): void {
  const key = stripIrdPrefix(rawKey);
  // Lists have no prototype, so `in` sees own entries only (and is faster than hasOwnProperty).
  if (!(key in list)) list[key] = value;
}

/** Own entry of a list, never an inherited property. */
export function getEntry(list: KvList | undefined, key: string): KvValue | undefined {
  if (!list || !Object.prototype.hasOwnProperty.call(list, key)) return undefined;
  return list[key];
}

/** A deep copy into prototype-less lists, used to turn parsed JSON into a `KvList`. */
export function cloneKvList(list: KvList): KvList {
  const copy = newKvList();
  for (const key of Object.keys(list)) {
    const value = list[key] as KvValue;
    copy[key] = isKvList(value) ? cloneKvList(value) : value;
  }
  return copy;
}

/** An own scalar entry as a string (integers as their decimal string); undefined for a list or no entry. */
export function getScalar(list: KvList | undefined, key: string): string | undefined {
  const value = getEntry(list, key);
  return value === undefined || isKvList(value) ? undefined : scalarToString(value);
}

/** A scalar as the string a parameter expects: integers are read as their decimal string. */
export function scalarToString(value: string | number): string {
  return typeof value === 'number' ? String(value) : value;
}
