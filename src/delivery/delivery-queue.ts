import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { GatewayConfig } from '../config/schema.js';
import type { RedisKeys } from '../redis/keys.js';
import type { RenderedMessage } from '../templates/types.js';

export const DELIVERY_QUEUE_NAME = 'invite-delivery';

/** A delivery job; its BullMQ job id is the session id (docs/protocol.md#request-and-reply). */
export interface DeliveryJobData {
  sessionId: string;
  tenant: number;
  channel: string;
  /** `_umsBusinessId`: the number whose send pace this invite uses. */
  businessId: string;
  /** The provider bodies rendered at the door; null when the invite has no standard response. */
  rendered: RenderedMessage | null;
  /** Set for campaign invites: a paused campaign holds its jobs back. */
  campaignId?: string;
  /** Set for an agent's answer inside the conversation (`<sessionId>.<position>`): the job sends that message. */
  messageId?: string;
}

export type RetrySettings = GatewayConfig['retry'];

/** The producer side. It shares the request connection, so it fails fast like the rest of the request path. */
export function createDeliveryQueue(connection: Redis, keys: RedisKeys): Queue<DeliveryJobData> {
  return new Queue<DeliveryJobData>(DELIVERY_QUEUE_NAME, { connection, prefix: keys.bullPrefix });
}

/**
 * BullMQ takes jobs without a priority before prioritised ones, so campaign invites get one: an
 * invite from a live call never waits behind a campaign's backlog.
 */
const CAMPAIGN_PRIORITY = 10;

export function deliveryJobOptions(sessionId: string, retry: RetrySettings, source: 'live' | 'campaign' = 'live'): JobsOptions {
  return {
    jobId: sessionId,
    ...(source === 'campaign' ? { priority: CAMPAIGN_PRIORITY } : {}),
    attempts: retry.attempts,
    backoff: { type: 'invite' },
    // The session record is the durable outcome; finished jobs are only kept for inspection.
    removeOnComplete: { age: 3_600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3_600 },
  };
}

/**
 * Exponential backoff with jitter, capped; a provider's `Retry-After` wins when it asks for longer.
 * Jitter keeps a burst of failed sends from retrying in lockstep.
 */
export function retryDelayMs(attemptsMade: number, retry: RetrySettings, retryAfterMs?: number, random = Math.random): number {
  const exponential = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** Math.max(0, attemptsMade - 1));
  const jittered = Math.round(exponential / 2 + (random() * exponential) / 2);
  if (retryAfterMs !== undefined) return Math.min(retry.maxDelayMs, Math.max(jittered, retryAfterMs));
  return jittered;
}
