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

  /**
   * After a pause at `pausedAt`: waits until every queued invite was taken and held since, counts the
   * sends then (`held`), and waits until each was looked at again and held again, or a send came
   * (`later`). A pause that holds shows `later === held`.
   */
  async sendsAroundHold(pausedAt: number, sends: () => number | Promise<number>, timeoutMs = 15_000): Promise<{ held: number; later: number }> {
    await eventually(async () => ((await this.allHeldSince(pausedAt)) ? true : undefined), timeoutMs, 'every queued invite to be held');
    const held = await sends();
    const heldOnceAt = Date.now();
    const later = await eventually(
      async () => {
        const sent = await sends();
        return sent !== held || (await this.allHeldSince(heldOnceAt)) ? sent : undefined;
      },
      timeoutMs,
      'every queued invite to be looked at again',
    );
    return { held, later };
  }

  /**
   * After a cancel at `cancelledAt`: waits for the sends under way then to end, counts the sends
   * (`ended`), and waits until every queued invite has ended, or a send came (`later`). A cancel that
   * holds shows `later === ended`.
   */
  async sendsAroundEnd(cancelledAt: number, sends: () => number | Promise<number>, timeoutMs = 20_000): Promise<{ ended: number; later: number }> {
    await this.takenBeforeEnded(cancelledAt);
    const ended = await sends();
    const later = await eventually(
      async () => {
        const sent = await sends();
        return sent !== ended || (await this.unfinished()) === 0 ? sent : undefined;
      },
      timeoutMs,
      'every queued invite to end',
    );
    return { ended, later };
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
