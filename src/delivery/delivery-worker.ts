import { setTimeout as sleep } from 'node:timers/promises';
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Connector } from '../connectors/connector.js';
import type { RedisKeys } from '../redis/keys.js';
import type { Session, SessionError } from '../sessions/session.js';
import type { Placement, SessionStore } from '../sessions/session-store.js';
import { DELIVERY_QUEUE_NAME, retryDelayMs, type DeliveryJobData, type RetrySettings } from './delivery-queue.js';
import { DeliveryFailure } from './outcomes.js';
import { parseChatQueueKey } from '../invite/chat-queue-key.js';
import type { SendPacer } from './pacing.js';

export interface DeliveryDependencies {
  store: SessionStore;
  pacer: SendPacer;
  /** `rateLimit.perSecond` of a tenant's channel (each business id on its own). */
  ratePerSecond(tenant: number, channel: string): number;
  /** The connector of a tenant's channel. */
  connectorFor(tenant: number, channel: string): Connector | undefined;
  retry: RetrySettings;
  chatQueueMaxLen: number;
  logger: Logger;
}

export type JobResult = 'sent' | 'opened' | 'skipped' | 'gone';

/**
 * Runs one delivery attempt: send through the channel's connector, then open the session in its
 * chat queue, or terminate it when `TerminateSessionFlag=true`. Throws to have BullMQ retry, and
 * `UnrecoverableError` when another attempt cannot help.
 */
export async function deliverInvite(job: Job<DeliveryJobData>, deps: DeliveryDependencies, token?: string): Promise<JobResult> {
  const { sessionId, tenant } = job.data;
  const session = await deps.store.get(sessionId, { withHistory: false });
  // Expired, deleted before the job was dropped, or never created (the door refused the invite
  // after the job was already written): nothing to send, and nothing counted in the backlog.
  if (!session) return 'gone';
  if (session.state !== 'queued' && session.state !== 'sending') return 'skipped';

  // Leaving `queued` (the first time a worker takes the invite) releases its backlog place.
  if (!job.data.rendered) {
    await deps.store.transition(sessionId, { state: 'open', placement: placementOf(session, deps.chatQueueMaxLen), backlogTenant: tenant });
    return 'opened';
  }

  const attempt = job.attemptsMade + 1;
  await deps.store.transition(sessionId, { state: 'sending', set: { attempts: attempt }, backlogTenant: tenant });
  await waitForSendSlot(job, session, deps, token);
  const connector = deps.connectorFor(tenant, session.channel);
  if (!connector) {
    await markFailed(deps, sessionId, { code: 'channel_removed', providerCode: null, message: `channel ${session.channel} is no longer configured` });
    throw new UnrecoverableError(`channel ${session.channel} is no longer configured`);
  }

  try {
    const accepted = await connector.send(job.data.rendered, session);
    await deps.store.transition(sessionId, {
      state: session.terminate ? 'terminated' : 'open',
      delivery: 'sent',
      set: { providerMessageId: accepted.providerMessageId, error: null },
      indexProviderMessage: true,
      placement: session.terminate ? undefined : placementOf(session, deps.chatQueueMaxLen),
    });
    return 'sent';
  } catch (error) {
    throw await handleSendError(error, job, attempt, deps);
  }
}

/**
 * Takes the business number's next send slot. A short wait is slept; a long one hands the job
 * back as delayed (not an attempt), so this worker slot serves other numbers meanwhile.
 */
async function waitForSendSlot(job: Job<DeliveryJobData>, session: Session, deps: DeliveryDependencies, token?: string): Promise<void> {
  const slot = await deps.pacer.reserve(session.tenant, session.channel, session.businessId, deps.ratePerSecond(session.tenant, session.channel));
  if (slot.granted) {
    if (slot.waitMs > 0) await sleep(slot.waitMs);
    return;
  }
  await job.moveToDelayed(Date.now() + slot.retryInMs, token);
  throw new DelayedError();
}

/** Decides between retry and final failure; returns the error the job should throw. */
async function handleSendError(error: unknown, job: Job<DeliveryJobData>, attempt: number, deps: DeliveryDependencies): Promise<Error> {
  const { sessionId } = job.data;
  const failure =
    error instanceof DeliveryFailure
      ? error
      : new DeliveryFailure('transient', true, error instanceof Error ? error.message : String(error));
  const lastAttempt = attempt >= (job.opts.attempts ?? 1);
  deps.logger.warn({ sessionId, outcome: failure.outcome, providerCode: failure.providerCode, attempt, retrying: failure.retryable && !lastAttempt }, 'send failed');
  if (failure.retryable && !lastAttempt) return failure;
  if (failure.outcome === 'marketing_opt_out') {
    const session = await deps.store.get(sessionId);
    if (session) await deps.store.suppressRecipient(session.tenant, session.channel, session.clientId);
  }
  await markFailed(deps, sessionId, { code: failure.outcome, providerCode: failure.providerCode, message: failure.message });
  return new UnrecoverableError(failure.message);
}

async function markFailed(deps: DeliveryDependencies, sessionId: string, error: SessionError): Promise<void> {
  await deps.store.transition(sessionId, { state: 'failed', delivery: 'failed', set: { error } });
}

function placementOf(session: Session, maxLen: number): Placement {
  const { tenant, endpoint } = parseChatQueueKey(session.chatQueueKey);
  return {
    tenant,
    endpoint,
    maxLen,
    entry: {
      sessionId: session.sessionId,
      channel: session.channel,
      clientId: session.clientId,
      businessId: session.businessId,
      type: session.type,
      subtype: session.subtype,
      userData: JSON.stringify(session.userData),
      at: new Date().toISOString(),
    },
  };
}

export interface WorkerOptions {
  connection: Redis;
  keys: RedisKeys;
  concurrency: number;
}

/** The BullMQ worker around `deliverInvite`, with the gateway's backoff policy. */
export function startDeliveryWorker(deps: DeliveryDependencies, options: WorkerOptions): Worker<DeliveryJobData, JobResult> {
  const worker = new Worker<DeliveryJobData, JobResult>(DELIVERY_QUEUE_NAME, (job, token) => deliverInvite(job, deps, token), {
    connection: options.connection,
    prefix: options.keys.bullPrefix,
    concurrency: options.concurrency,
    settings: {
      backoffStrategy: (attemptsMade: number, _type?: string, error?: Error) =>
        retryDelayMs(attemptsMade, deps.retry, error instanceof DeliveryFailure ? error.retryAfterMs : undefined),
    },
  });
  worker.on('error', (error) => deps.logger.error({ err: error.message }, 'delivery worker error'));
  return worker;
}
