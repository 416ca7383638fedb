/**
 * ioredis errors raised while Redis is down or slow (no offline queue, command timeout): the
 * request could not be stored now, which callers are told as 503 with `Retry-After`.
 */
export function isRedisUnavailable(error: unknown): boolean {
  const message = error instanceof Error ? error.message : '';
  return /Stream isn't writeable|Connection is closed|Command timed out|ECONNREFUSED|MaxRetriesPerRequest/.test(message);
}

/** Seconds a caller is asked to wait after a 503 for an unavailable Redis. */
export const REDIS_RETRY_AFTER_SECONDS = 5;
