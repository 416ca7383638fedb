/**
 * Whether an error means Redis could not be reached in time (down, restarting, paused, or a
 * connection lost mid-command): the request could not be stored now, which HTTP callers are told as
 * 503 with `Retry-After` and ESP callers as fault 1050. Redis's own replies (a script error, WRONGTYPE)
 * are not this: they are bugs, answered 500.
 *
 * ioredis raises most of these as plain `Error`s with fixed sentences (Redis.js: "Stream isn't
 * writeable…" with the offline queue off; Command.js: "Command timed out"; utils:
 * "Connection is closed."), so they are recognised by those sentences, here and nowhere else;
 * the typed ones by name, and socket errors by their Node code.
 */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (UNAVAILABLE_ERROR_NAMES.has(error.name)) return true;
  const { code } = error as { code?: unknown };
  if (typeof code === 'string' && UNAVAILABLE_SOCKET_CODES.has(code)) return true;
  return IOREDIS_UNAVAILABLE_SENTENCES.some((sentence) => error.message.startsWith(sentence));
}

const UNAVAILABLE_ERROR_NAMES = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError']);
const UNAVAILABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);
const IOREDIS_UNAVAILABLE_SENTENCES = ["Stream isn't writeable", 'Connection is closed', 'Command timed out', 'connect ECONNREFUSED'];

/** Seconds a caller is asked to wait after a 503 for an unavailable Redis. */
export const REDIS_RETRY_AFTER_SECONDS = 5;
