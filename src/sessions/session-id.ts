import type { Redis } from 'ioredis';

/**
 * Session ids look like Genesys interaction ids: 16 characters of `[0-9A-Za-z]`, time-ordered.
 *
 *   8 chars  milliseconds since the epoch (base 62 covers ~6,900 years)
 *   3 chars  this process's node number, handed out by Redis INCR (238,328 before it wraps)
 *   5 chars  a per-process sequence, so one process never repeats itself within a millisecond
 *
 * The alphabet is in ASCII order, so ids sort as strings in creation order.
 */
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const NODE_SPACE = 62 ** 3;
const SEQUENCE_SPACE = 62 ** 5;

/** Fixed-width base-62 digits of a non-negative integer. */
export function base62(value: number, width: number): string {
  let digits = '';
  let rest = value;
  for (let i = 0; i < width; i++) {
    digits = ALPHABET[rest % 62] + digits;
    rest = Math.floor(rest / 62);
  }
  return digits;
}

export const DRY_RUN_SESSION_ID = '0000000000000000';
export const SESSION_ID_PATTERN = /^[0-9A-Za-z]{16}$/;

export class SessionIdGenerator {
  private lastMillis = 0;
  private sequence = 0;

  constructor(
    private readonly node: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Reserves a node number shared by nobody else alive on this Redis. */
  static async register(redis: Redis, prefix: string): Promise<SessionIdGenerator> {
    const counter = await redis.incr(`${prefix}:ids:node`);
    return new SessionIdGenerator(counter % NODE_SPACE);
  }

  next(): string {
    // A clock that steps back must not reorder or repeat ids: stay on the last millisecond.
    const millis = Math.max(this.now(), this.lastMillis);
    if (millis === this.lastMillis) {
      this.sequence++;
      if (this.sequence >= SEQUENCE_SPACE) {
        this.lastMillis++;
        this.sequence = 0;
      }
    } else {
      this.lastMillis = millis;
      this.sequence = 0;
    }
    return base62(this.lastMillis, 8) + base62(this.node, 3) + base62(this.sequence, 5);
  }
}
