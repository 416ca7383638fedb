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
 * started alongside its Redis (compose, Kubernetes) waits for it instead of failing at once.
 */
export async function connectAndPing(redis: Redis, timeoutMs = 30_000, onRetry?: (error: Error) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (redis.status === 'wait') await redis.connect();
      await redis.ping();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`Redis did not answer within ${timeoutMs / 1_000} s: ${(error as Error).message}`);
      onRetry?.(error as Error);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
