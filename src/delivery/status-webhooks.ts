import { randomUUID } from 'node:crypto';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema.js';
import { failureFromStatus, postJson } from '../connectors/http-post.js';
import { signedHeaders } from '../connectors/signature.js';
import type { RedisKeys } from '../redis/keys.js';
import type { SessionChange, SessionChangeListener } from '../sessions/session-store.js';
import { retryDelayMs } from './delivery-queue.js';
import { DeliveryFailure } from '../connectors/delivery-failure.js';

export const STATUS_QUEUE_NAME = 'status-webhooks';

/** A conversation event (docs/protocol.md#conversations) as the tenant's `statusWebhook` receives it. */
export interface ConversationEvent {
  event: 'message.received' | 'message.status' | 'session.ended';
  tenant: number;
  sessionId: string;
  chatQueueKey: string;
  messageId?: string;
  at: string;
  data: unknown;
}

/** One event for a tenant's `statusWebhook` (a session change, or a conversation event), with the id its receiver deduplicates on. */
export type StatusEventJob = { eventId: string; change: SessionChange } | { eventId: string; conversation: ConversationEvent };

export function createStatusQueue(connection: Redis, keys: RedisKeys): Queue<StatusEventJob> {
  return new Queue<StatusEventJob>(STATUS_QUEUE_NAME, { connection, prefix: keys.bullPrefix });
}

/**
 * Turns every applied session change into a job for the tenant's status webhook (tenants without
 * one are skipped). Going through BullMQ gives the POSTs retries with backoff, whichever process
 * made the change. A change that cannot be queued is logged: it must never undo the change itself.
 */
export function statusWebhookListener(queue: Queue<StatusEventJob>, config: GatewayConfig, logger: Logger): SessionChangeListener {
  const tenantsWithWebhook = new Set(config.tenants.filter((tenant) => tenant.statusWebhook).map((tenant) => tenant.id));
  return async (sessionChange) => {
    if (!tenantsWithWebhook.has(sessionChange.tenant)) return;
    // The campaign row is internal bookkeeping, not part of the event body (README: status to the contact center).
    const { campaign: _campaign, ...change } = sessionChange;
    const eventId = randomUUID();
    await queue
      .add('status', { eventId, change }, statusJobOptions(eventId, config))
      .catch((error: Error) => logger.error({ sessionId: change.sessionId, err: error.message }, 'status event could not be queued'));
  };
}

/** A status event job: retried with the gateway's backoff, its id the event's (a repeat is not queued twice). */
export function statusJobOptions(eventId: string, config: GatewayConfig) {
  return { jobId: eventId, attempts: config.retry.attempts, backoff: { type: 'status' }, removeOnComplete: { age: 3_600 }, removeOnFail: { age: 7 * 24 * 3_600 } };
}

/** POSTs status events, signed like every gateway POST (X-Invite-Signature, X-Invite-Event-Id). */
export function startStatusWebhookWorker(connection: Redis, keys: RedisKeys, config: GatewayConfig, logger: Logger): Worker<StatusEventJob> {
  const webhooks = new Map(config.tenants.flatMap((tenant) => (tenant.statusWebhook ? [[tenant.id, tenant.statusWebhook] as const] : [])));
  const worker = new Worker<StatusEventJob>(
    STATUS_QUEUE_NAME,
    async (job) => {
      const data = job.data;
      const webhook = webhooks.get('change' in data ? data.change.tenant : data.conversation.tenant);
      if (!webhook) return;
      const body = JSON.stringify('change' in data ? { event: 'session.changed', eventId: data.eventId, ...data.change } : { ...data.conversation, eventId: data.eventId });
      const answer = await postJson(webhook.url, body, signedHeaders(body, webhook.secret, Date.now(), job.data.eventId));
      if (answer.status >= 200 && answer.status < 300) return;
      const failure = failureFromStatus(answer, 'status webhook');
      if (!failure.retryable) throw new UnrecoverableError(failure.message);
      throw failure;
    },
    {
      connection,
      prefix: keys.bullPrefix,
      concurrency: 10,
      settings: {
        backoffStrategy: (attemptsMade: number, _type?: string, error?: Error) =>
          retryDelayMs(attemptsMade, config.retry, error instanceof DeliveryFailure ? error.retryAfterMs : undefined),
      },
    },
  );
  worker.on('failed', (job, error) => logger.warn({ eventId: job?.data.eventId, attempts: job?.attemptsMade, err: error.message }, 'status webhook POST failed'));
  worker.on('error', (error) => logger.error({ err: error.message }, 'status webhook worker error'));
  return worker;
}
