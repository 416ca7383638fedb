import { fault, type EspFault } from './faults.js';

/**
 * Limits every wire-form reader applies while it reads, before it goes deeper.
 *
 * `maxNestingDepth` counts KVLists: `Request` and `UserData` are depth 1, `Parameters` 2, `Contact`
 * 3. Real requests stay within a few levels; a hostile body nested thousands deep would otherwise
 * overflow the stack of a recursive reader (a 1099 instead of a 1001).
 */
export interface ReadLimits {
  maxNestingDepth: number;
}

/** `limits.maxNestingDepth`'s default; src/config/schema.ts gives the same. */
export const DEFAULT_READ_LIMITS: ReadLimits = { maxNestingDepth: 32 };

/** Fault 1001 for a list nested too deep; `where` says where the reader stopped, never what it read. */
export function nestedTooDeep(limits: ReadLimits, where: string): EspFault {
  return fault('bodyUnreadable', `lists nest deeper than ${limits.maxNestingDepth} levels (limits.maxNestingDepth) at ${where}`);
}

/** `line L, column C` of a position in a text (1-based), for faults that must not quote the text. */
export function lineAndColumn(text: string, position: number): string {
  let line = 1;
  let lineStart = 0;
  for (let index = text.indexOf('\n'); index !== -1 && index < position; index = text.indexOf('\n', index + 1)) {
    line++;
    lineStart = index + 1;
  }
  return `line ${line}, column ${position - lineStart + 1}`;
}
