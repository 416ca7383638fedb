import { peekLogReferenceId } from '../esp/log-form.js';

/** The fields of a logged request that reading a log needs before the request is parsed in full. */
export interface ScannedFields {
  referenceId?: number;
  channel?: string;
  businessId?: string;
}

/**
 * Reads, line by line and without building the request, the ReferenceId, `_umsChannel`,
 * `_umsBusinessId`, and whether `Service`/`Method` name something other than
 * ChatService/InviteToChat (such requests are not replayed). A block this scan misreads is still
 * parsed in full before it is sent, which is where broken blocks are found.
 */
export function scanRequestBlock(block: string): { fields: ScannedFields; otherMethod: boolean } {
  const service = valueOfKey(block, "'Service'");
  const method = valueOfKey(block, "'Method'");
  return {
    fields: { referenceId: peekLogReferenceId(block), channel: valueOfKey(block, "'_umsChannel'"), businessId: valueOfKey(block, "'_umsBusinessId'") },
    otherMethod: (service !== undefined && service !== 'ChatService') || (method !== undefined && method !== 'InviteToChat'),
  };
}

/** The value of the first line of `block` that holds `'Key'`. */
function valueOfKey(block: string, quotedKey: string): string | undefined {
  const at = block.indexOf(quotedKey);
  if (at < 0) return undefined;
  const lineEnd = block.indexOf('\n', at);
  return valueAfterKey(block.slice(at, lineEnd < 0 ? block.length : lineEnd), quotedKey);
}

/** The scalar after `'Key'` on a log line: `'value'` (tab style) or `[str] = "value"` / `[int] = 7` (typed). */
export function valueAfterKey(line: string, quotedKey: string): string | undefined {
  const at = line.indexOf(quotedKey);
  if (at < 0) return undefined;
  const rest = line.slice(at + quotedKey.length).trim();
  if (rest.startsWith("'")) {
    // The value runs to the next quote that ends it: before a tab or the end of the line.
    const end = rest.indexOf("'", 1);
    return end > 0 ? rest.slice(1, end) : undefined;
  }
  const typed = /^\[(?:str|int)\] *= *(?:"(.*)"|(-?\d+))$/.exec(rest);
  if (typed) return typed[1] ?? typed[2];
  return /^-?\d+$/.test(rest) ? rest : undefined;
}
