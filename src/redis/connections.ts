import { Redis, type RedisOptions } from 'ioredis';

/**
 * Connection for the request path (API): it must fail fast. With no offline queue a command
 * issued while Redis is down fails at once instead of waiting for a reconnect, and the command
 * timeout bounds a Redis that accepts the connection but does not answer. The caller then gets
 * fault 1050 immediately, never a hanging request.
 */
export function createRequestConnection(url: string, commandTimeoutMs: number): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    commandTimeout: commandTimeoutMs,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: reconnectDelay,
    lazyConnect: true,
    // Commands of concurrent requests leave in one write: fewer syscalls on the hot path.
    enableAutoPipelining: true,
  } satisfies RedisOptions);
}

/**
 * Connection for BullMQ workers and other blocking readers: BullMQ requires
 * `maxRetriesPerRequest: null` so a blocking command survives a reconnect.
 */
export function createWorkerConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, retryStrategy: reconnectDelay, lazyConnect: true });
}

/** Keep reconnecting forever, backing off to 2 s: Redis coming back must heal the gateway. */
function reconnectDelay(times: number): number {
  return Math.min(50 * 2 ** Math.min(times, 6), 2_000);
}

/**
 * Connects and waits until the server answers PING, retrying for up to `timeoutMs`, so a gateway
 * started alongside its Redis (compose, Kubernetes) waits for it instead of failing at once. Gives
 * up with a sentence naming the URL (password masked) and why the connection failed: the socket's
 * own error (ECONNREFUSED, WRONGPASS, a TLS failure), not the "stream isn't writeable" a command
 * gets while the connection is down.
 */
export async function connectAndPing(redis: Redis, url: string, timeoutMs = 30_000, onRetry?: (error: Error) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let connectionError: Error | undefined;
  const remember = (error: Error) => (connectionError = error);
  redis.on('error', remember);
  try {
    for (;;) {
      try {
        if (redis.status === 'wait') await redis.connect();
        await redis.ping();
        return;
      } catch (error) {
        if (Date.now() >= deadline) {
          throw new Error(`Redis at ${maskRedisUrl(url)} did not answer within ${timeoutMs / 1_000} s: ${redisCause(connectionError ?? (error as Error))}`);
        }
        onRetry?.(error as Error);
        await new Promise((resolve) => setTimeout(resolve, Math.min(500, Math.max(0, deadline - Date.now()))));
      }
    }
  } finally {
    redis.off('error', remember);
  }
}

/** The URL with its password replaced by `****`, for logs and messages. */
export function maskRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = '****';
    return parsed.href;
  } catch {
    return '(an unreadable URL)';
  }
}

/** The failure as a person can act on it: the error's own words and, for common ones, what to check. */
function redisCause(error: Error): string {
  const text = error.message;
  if (/ECONNREFUSED/.test(text)) return `${text} (nothing listens there: is Redis running, and is the port right?)`;
  if (/ENOTFOUND|EAI_AGAIN/.test(text)) return `${text} (the host name does not resolve)`;
  if (/WRONGPASS|NOAUTH|invalid password|invalid username/i.test(text)) return `${text} (check the user and password in REDIS_URL)`;
  if (/TLS|SSL|certificate|socket disconnected/i.test(text)) return `${text} (a TLS problem: rediss:// needs a TLS port, redis:// a plain one)`;
  return text;
}
