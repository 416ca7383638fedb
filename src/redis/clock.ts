import type { Redis } from 'ioredis';

/**
 * Redis's clock as seen from this process. Confirmation deadlines are compared with Redis `TIME`
 * inside scripts, but set by the API from its own clock; the offset between the two (measured
 * over one round trip, half of it counted as transit) keeps a skewed host from stretching or
 * shrinking the window. Re-measured now and then, so drift does not build up.
 */
export class RedisClock {
  private offsetMs = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly redis: Redis) {}

  /** Redis's current time in ms since the epoch, estimated locally. */
  now(): number {
    return Date.now() + this.offsetMs;
  }

  async sync(): Promise<void> {
    const sent = Date.now();
    const [seconds, micros] = await this.redis.time();
    const received = Date.now();
    const redisMs = Number(seconds) * 1_000 + Math.floor(Number(micros) / 1_000);
    this.offsetMs = redisMs - (sent + received) / 2;
  }

  /** Keeps the offset fresh; a failed measurement keeps the last one. */
  startSyncing(everyMs = 60_000): void {
    this.timer = setInterval(() => void this.sync().catch(() => undefined), everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
