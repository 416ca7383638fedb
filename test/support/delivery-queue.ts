import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { DELIVERY_QUEUE_NAME } from '../../src/delivery/delivery-queue.js';
import { RedisKeys } from '../../src/redis/keys.js';
import { eventually } from './gateway.js';

/** States of a delivery job that is not finished: still to be taken, taken, or put back for later. */
const UNFINISHED = ['waiting', 'prioritized', 'active', 'delayed'] as const;

/**
 * A gateway's delivery queue read the way BullMQ keeps it. Tests that assert "nothing more is
 * sent" wait on it instead of sleeping: a worker stamps a job each time it takes it (`processedOn`),
 * so a test can tell when the sends under way at some moment have ended and when every queued
 * invite has been looked at since. Conditions, not durations: a loaded machine only takes longer.
 */
export class DeliveryQueueWatch {
  private readonly queue: Queue;

  constructor(connection: Redis, redisPrefix: string) {
    this.queue = new Queue(DELIVERY_QUEUE_NAME, { connection, prefix: new RedisKeys(redisPrefix).bullPrefix });
  }

  /**
   * Waits until no job a worker took before `since` is still running. A job taken later read the
   * campaign's state after `since`, so once these have ended every send begun before then has ended.
   */
  async takenBeforeEnded(since: number, timeoutMs = 10_000): Promise<void> {
    await eventually(
      async () => ((await this.queue.getJobs(['active'])).every((job) => (job?.processedOn ?? since) >= since) ? true : undefined),
      timeoutMs,
      'the sends under way to end',
    );
  }

  /** How many jobs are not finished. */
  async unfinished(): Promise<number> {
    const counts = await this.queue.getJobCounts(...UNFINISHED);
    return UNFINISHED.reduce((sum, state) => sum + (counts[state] ?? 0), 0);
  }

  /** True when every unfinished job was taken by a worker after `since` and put back for later (not sent). */
  async allHeldSince(since: number): Promise<boolean> {
    const [held, others] = await Promise.all([this.queue.getJobs(['delayed']), this.queue.getJobs(['waiting', 'prioritized', 'active'])]);
    return others.length === 0 && held.every((job) => (job?.processedOn ?? 0) >= since);
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
