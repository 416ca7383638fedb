import { setTimeout as sleep } from 'node:timers/promises';
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Connector, SendAccepted } from '../connectors/connector.js';
import type { RedisKeys } from '../redis/keys.js';
import type { Session, SessionError } from '../sessions/session.js';
import type { Placement, SessionStore } from '../sessions/session-store.js';
import type { MessageStore } from '../sessions/message-store.js';
import { DELIVERY_QUEUE_NAME, retryDelayMs, type DeliveryJobData, type RetrySettings } from './delivery-queue.js';
import { DeliveryFailure } from '../connectors/delivery-failure.js';
import { parseChatQueueKey } from '../esp/chat-queue-key.js';
import { stopsChannel, suppressesRecipient } from './channel-policy.js';

export interface DeliveryDependencies {
  store: SessionStore;
  /** Agents' answers inside conversations. */
  messages?: MessageStore;
  /** `rateLimit.perSecond` of a tenant's channel (each business id on its own). */
  ratePerSecond(tenant: number, channel: string): number;
  /** The connector of a tenant's channel. */
  connectorFor(tenant: number, channel: string): Connector | undefined;
  /** Fingerprint of a channel's connector credentials (config/credentials.ts). */
  credentialsOf(tenant: number, channel: string): string;
  retry: RetrySettings;
  chatQueueMaxLen: number;
  logger: Logger;
  /** The state of a campaign, for campaign invites: a paused campaign holds its sends back. */
  campaignState?(campaignId: string): Promise<string | undefined>;
}

/** How often a paused campaign's invite looks again. */
const PAUSED_RECHECK_MS = 1_000;

/** `withdrawn`: the invite was never confirmed (its caller was answered a fault), so nothing is sent. */
export type JobResult = 'sent' | 'opened' | 'skipped' | 'gone' | 'withdrawn';

/**
 * Longest an unconfirmed session's job waits before looking again. The confirmation normally
 * follows the job within a round trip, so the wait is short; the deadline itself is at most half
 * the API's command timeout away.
 */
const UNCONFIRMED_RECHECK_MS = 50;

/** Longest a worker sleeps for its number's send slot before the job goes back to the queue. */
const MAX_SLOT_SLEEP_MS = 250;

/**
 * Runs one delivery attempt: send through the channel's connector, then open the session in its
 * chat queue, or terminate it when `TerminateSessionFlag=true`. Throws to have BullMQ retry, and
 * `UnrecoverableError` when another attempt cannot help.
 */
export async function deliverInvite(job: Job<DeliveryJobData>, deps: DeliveryDependencies, token?: string): Promise<JobResult> {
  if (job.data.messageId && deps.messages) return deliverAnswer(job, job.data.messageId, deps.messages, deps, token);
  if (!job.data.rendered) return openWithoutMessage(job, deps, token);
  const { sessionId, tenant, channel, businessId, campaignId } = job.data;
  if (campaignId && deps.campaignState) {
    const campaignState = await deps.campaignState(campaignId);
    if (campaignState === 'paused') return postpone(job, PAUSED_RECHECK_MS, token);
    if (campaignState === 'cancelled') {
      // A cancelled campaign sends nothing more: its queued invites end without a message.
      const ended = await deps.store.transition(sessionId, { state: 'terminated', backlogTenant: tenant, endReason: 'campaign_cancelled' });
      if (ended.unconfirmed) return postpone(job, Math.min(ended.unconfirmed.retryInMs, UNCONFIRMED_RECHECK_MS), token);
      return ended.withdrawn ? 'withdrawn' : 'skipped';
    }
  }
  const attempt = job.attemptsMade + 1;
  const claim = await deps.store.claimForSend(sessionId, tenant, channel, businessId, claimRequest(job, deps));
  switch (claim.kind) {
    // Expired, deleted before the job was dropped, or never created (the door refused the invite
    // after the job was already written): nothing to send.
    case 'gone':
      return 'gone';
    case 'skipped':
      return 'skipped';
    case 'held':
      return postpone(job, holdRecheckMs(deps), token);
    case 'wait':
      return postpone(job, claim.retryInMs, token);
    case 'unconfirmed':
      return postpone(job, Math.min(claim.retryInMs, UNCONFIRMED_RECHECK_MS), token);
    case 'withdrawn':
      return 'withdrawn';
  }
  // A short wait for the number's send slot is slept; longer ones went back to the queue above.
  if (claim.waitMs > 0) await sleep(claim.waitMs);
  const session = claim.session;
  if (claim.unknownOutcome) deps.logger.warn({ sessionId, attempt }, 'an earlier send attempt never reported back (worker died or lost Redis mid-send): this send may be a duplicate');

  const connector = deps.connectorFor(tenant, session.channel);
  if (!connector) {
    await markFailed(deps, sessionId, { code: 'channel_removed', providerCode: null, message: `channel ${session.channel} is no longer configured` });
    throw new UnrecoverableError(`channel ${session.channel} is no longer configured`);
  }

  let accepted: SendAccepted;
  try {
    accepted = await connector.send(job.data.rendered, session);
  } catch (error) {
    throw await handleSendError(error, job, session, attempt, deps, token);
  }
  // A Redis failure here is not the provider's: the job is retried as it is (at least once).
  await deps.store.transition(sessionId, {
    state: session.terminate ? 'terminated' : 'open',
    ...(session.terminate ? { endReason: 'terminate_flag' } : {}),
    delivery: 'sent',
    set: { providerMessageId: accepted.providerMessageId, error: null, attemptSettled: true },
    indexProviderMessage: { tenant: session.tenant, channel: session.channel },
    placement: session.terminate ? undefined : placementOf(session, deps.chatQueueMaxLen),
  });
  return 'sent';
}

/**
 * One send attempt of an agent's answer: paced with the invites of its business number, sent
 * through the channel's connector, its delivery moved by the provider's answer. The session's own
 * state does not change: the answer lives in its transcript.
 */
async function deliverAnswer(job: Job<DeliveryJobData>, messageId: string, messages: MessageStore, deps: DeliveryDependencies, token?: string): Promise<JobResult> {
  const { sessionId, tenant, channel, businessId, rendered } = job.data;
  const attempt = job.attemptsMade + 1;
  const claim = await messages.claim(messageId, { tenant, channel, businessId }, claimRequest(job, deps));
  switch (claim.kind) {
    case 'gone':
    case 'skipped':
      return 'skipped';
    case 'held':
      return postpone(job, holdRecheckMs(deps), token);
    case 'wait':
      return postpone(job, claim.retryInMs, token);
  }
  if (claim.unknownOutcome) deps.logger.warn({ sessionId, messageId, attempt }, 'an earlier send attempt never reported back: this send may be a duplicate');
  if (claim.waitMs > 0) await sleep(claim.waitMs);
  const session = await deps.store.get(sessionId, { withHistory: false });
  const connector = deps.connectorFor(tenant, channel);
  if (!session || !connector || !rendered) {
    await messages.recordDelivery(messageId, { tenant, channel }, { delivery: 'failed', error: { code: 'channel_removed', providerCode: null, message: 'the session or its channel no longer exists' }, settleAttempt: true });
    throw new UnrecoverableError('the session or its channel no longer exists');
  }
  let accepted: SendAccepted;
  try {
    accepted = await connector.send(rendered, session);
  } catch (error) {
    const failure = asDeliveryFailure(error);
    const lastAttempt = attempt >= (job.opts.attempts ?? 1);
    deps.logger.warn({ sessionId, messageId, outcome: failure.outcome, providerCode: failure.providerCode, attempt, retrying: failure.retryable && !lastAttempt }, 'answer send failed');
    if (stopsChannel(failure.outcome)) await stopChannel(session, failure, deps);
    if (failure.retryable && !lastAttempt) {
      await messages.recordDelivery(messageId, { tenant, channel }, { delivery: 'pending', settleAttempt: true });
      throw failure;
    }
    await messages.recordDelivery(messageId, { tenant, channel }, { delivery: 'failed', error: { code: failure.outcome, providerCode: failure.providerCode, message: failure.message }, settleAttempt: true });
    throw new UnrecoverableError(failure.message);
  }
  await messages.recordDelivery(messageId, { tenant, channel }, { delivery: 'sent', providerMessageId: accepted.providerMessageId, settleAttempt: true });
  return 'sent';
}

/** What a claim asks for one send attempt: the attempt number, the channel's credentials and its number's pace. */
function claimRequest(job: Job<DeliveryJobData>, deps: DeliveryDependencies) {
  const { tenant, channel } = job.data;
  return { attempt: job.attemptsMade + 1, credentialsFingerprint: deps.credentialsOf(tenant, channel), perSecond: deps.ratePerSecond(tenant, channel), maxSleepMs: MAX_SLOT_SLEEP_MS };
}

function asDeliveryFailure(error: unknown): DeliveryFailure {
  return error instanceof DeliveryFailure ? error : new DeliveryFailure('transient', true, error instanceof Error ? error.message : String(error));
}

/**
 * An invite without a standard response: the session opens in its chat queue, nothing is sent. With
 * `TerminateSessionFlag=true` as well there is nothing to send and nothing to continue: the session
 * is created and ended at once, as the DMS does, and never placed where routing would pick it up.
 */
async function openWithoutMessage(job: Job<DeliveryJobData>, deps: DeliveryDependencies, token?: string): Promise<JobResult> {
  const session = await deps.store.get(job.data.sessionId, { withHistory: false });
  if (!session) return 'gone';
  const opened = await deps.store.transition(
    session.sessionId,
    session.terminate
      ? { state: 'terminated', endReason: 'terminate_flag', backlogTenant: session.tenant }
      : { state: 'open', placement: placementOf(session, deps.chatQueueMaxLen), backlogTenant: session.tenant },
  );
  if (opened.unconfirmed) return postpone(job, Math.min(opened.unconfirmed.retryInMs, UNCONFIRMED_RECHECK_MS), token);
  if (opened.withdrawn) return 'withdrawn';
  return opened.stateApplied ? 'opened' : 'skipped';
}

/** Stops the channel (refused at the door, sends held) and raises the alarm in the log. */
async function stopChannel(session: Session, failure: DeliveryFailure, deps: DeliveryDependencies): Promise<void> {
  const reason = `${failure.outcome}, provider error ${failure.providerCode ?? 'none'}`;
  await deps.store.holdChannel(session.tenant, session.channel, deps.credentialsOf(session.tenant, session.channel), reason);
  deps.logger.error({ alert: 'channel_stopped', tenant: session.tenant, channel: session.channel, outcome: failure.outcome, providerCode: failure.providerCode }, `ALERT: channel ${session.channel} stopped (${reason}); change its credentials or POST /channels/${session.channel}/resume`);
}

/** How long a held channel's jobs wait before they look again. */
function holdRecheckMs(deps: DeliveryDependencies): number {
  return Math.min(60_000, deps.retry.maxDelayMs);
}

/** Puts the job back as delayed (not an attempt) and ends this run of it. */
async function postpone(job: Job<DeliveryJobData>, delayMs: number, token?: string): Promise<never> {
  await job.moveToDelayed(Date.now() + delayMs, token);
  throw new DelayedError();
}

/** Decides between retry and final failure; returns the error the job should throw. */
async function handleSendError(error: unknown, job: Job<DeliveryJobData>, session: Session, attempt: number, deps: DeliveryDependencies, token?: string): Promise<Error> {
  const { sessionId } = session;
  const failure = asDeliveryFailure(error);
  const lastAttempt = attempt >= (job.opts.attempts ?? 1);
  // The attempt ended with an answer: a later attempt is a retry, not a possible duplicate.
  await deps.store.settleAttempt(sessionId);
  deps.logger.warn({ sessionId, outcome: failure.outcome, providerCode: failure.providerCode, attempt, retrying: failure.retryable && !lastAttempt }, 'send failed');
  if (stopsChannel(failure.outcome)) await stopChannel(session, failure, deps);
  // An expired token is the channel's problem, not the invite's: it waits for new credentials.
  if (failure.outcome === 'token_expired') return postpone(job, holdRecheckMs(deps), token).catch((delayed: Error) => delayed);
  if (failure.retryable && !lastAttempt) return failure;
  if (suppressesRecipient(failure.outcome)) await deps.store.suppressRecipient(session.tenant, session.channel, session.clientId);
  await markFailed(deps, sessionId, { code: failure.outcome, providerCode: failure.providerCode, message: failure.message });
  return new UnrecoverableError(failure.message);
}

async function markFailed(deps: DeliveryDependencies, sessionId: string, error: SessionError): Promise<void> {
  await deps.store.transition(sessionId, { state: 'failed', delivery: 'failed', set: { error, attemptSettled: true } });
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
