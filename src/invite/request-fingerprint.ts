import { createHash } from 'node:crypto';
import { isKvList, type KvList, type KvValue } from '../esp/kvlist.js';
import type { EspRequest } from '../esp/model.js';

/**
 * A hash of what makes two invites "the same request" for idempotency: `Request` and `UserData`,
 * not `ReferenceId` (clients recycle it) and not the wire form or the order of keys, so the same
 * invite replayed as XML after JSON is recognised.
 */
export function requestFingerprint(request: EspRequest): string {
  const canonical = JSON.stringify([canonicalList(request.request), request.userData ? canonicalList(request.userData) : null]);
  return createHash('sha256').update(canonical).digest('hex');
}

function canonicalList(list: KvList): Array<[string, unknown]> {
  return Object.keys(list)
    .sort()
    .map((key) => [key, canonicalValue(list[key] as KvValue)]);
}

function canonicalValue(value: KvValue): unknown {
  // ValueInt 5 and "5" are the same parameter value (docs/protocol.md#idempotency).
  return isKvList(value) ? canonicalList(value) : String(value);
}

export function hashIdempotencyKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
