import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/keys.js';

/**
 * Per-business-number pacing shared by every worker process on the Redis (GCRA): each number
 * keeps a "theoretical arrival time" of its next free slot; a send takes the slot and moves it
 * on by 1/rate. A send that would wait longer than the sleep budget takes no slot and is told
 * when to come back, so its worker slot goes to other numbers meanwhile (BullMQ's own limiter is
 * queue-wide and would slow every number down to the slowest).
 * KEYS: the number's pacing key. ARGV: intervalMs, maxSleepMs.
 * Returns {1, waitMs} (slot taken, send after waitMs) or {0, waitMs} (come back in waitMs).
 */
const RESERVE_SLOT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local interval = tonumber(ARGV[1])
local next = tonumber(redis.call('GET', KEYS[1]) or '0')
if next < now then next = now end
local wait = next - now
if wait > tonumber(ARGV[2]) then return {0, math.ceil(wait)} end
redis.call('SET', KEYS[1], tostring(next + interval), 'PX', math.ceil(wait + interval) + 1000)
return {1, math.ceil(wait)}
`;

export type SlotDecision = { granted: true; waitMs: number } | { granted: false; retryInMs: number };

type PacingRedis = Redis & { igReserveSlot(key: string, intervalMs: number, maxSleepMs: number): Promise<[number, number]> };

export class SendPacer {
  private readonly redis: PacingRedis;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
    /** Longest a worker sleeps for its slot before it hands the job back as delayed. */
    private readonly maxSleepMs = 250,
  ) {
    if (typeof (redis as unknown as Partial<PacingRedis>).igReserveSlot !== 'function') {
      redis.defineCommand('igReserveSlot', { numberOfKeys: 1, lua: RESERVE_SLOT });
    }
    this.redis = redis as PacingRedis;
  }

  async reserve(tenant: number, channel: string, businessId: string, perSecond: number): Promise<SlotDecision> {
    const [granted, waitMs] = await this.redis.igReserveSlot(this.keys.pacing(tenant, channel, businessId), 1_000 / perSecond, this.maxSleepMs);
    return granted === 1 ? { granted: true, waitMs } : { granted: false, retryInMs: waitMs };
  }
}
