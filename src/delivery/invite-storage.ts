import type { Queue } from 'bullmq';
import type { GatewayConfig } from '../config/schema.js';
import type { ConfirmOutcome, CreateLimits, CreateOutcome, IdempotencyClaim, SessionStore } from '../sessions/session-store.js';
import type { NewSession } from '../sessions/session.js';
import type { RenderedMessage } from '../templates/types.js';
import { deliveryJobOptions, type DeliveryJobData } from './delivery-queue.js';

/**
 * The invite use case's storage (src/invite/ports.ts `InviteStorage`) on Redis and BullMQ. It
 * matches the port by shape: delivery sits below invite and does not import it.
 */
export function redisInviteStorage(store: SessionStore, queue: Queue<DeliveryJobData>, retry: GatewayConfig['retry']) {
  return {
    createSession: (session: NewSession, limits: CreateLimits, idempotency?: IdempotencyClaim): Promise<CreateOutcome> => store.create(session, limits, idempotency),
    async enqueueDelivery(session: NewSession, rendered: RenderedMessage | null): Promise<void> {
      const campaignId = session.campaign?.campaignId;
      const job: DeliveryJobData = { sessionId: session.sessionId, tenant: session.tenant, channel: session.channel, businessId: session.businessId, rendered, ...(campaignId ? { campaignId } : {}) };
      await queue.add('invite', job, deliveryJobOptions(session.sessionId, retry, campaignId ? 'campaign' : 'live'));
    },
    async dropDelivery(sessionId: string): Promise<void> {
      await queue.remove(sessionId);
    },
    confirm: (session: NewSession): Promise<ConfirmOutcome> => store.confirm(session, queue.toKey(session.sessionId)),
    withdraw: (session: Pick<NewSession, 'sessionId' | 'tenant'>) => store.withdraw(session),
  };
}

/** Ending a session (src/invite/ports.ts `SessionEnding`) on Redis and BullMQ. */
export function redisSessionEnding(store: SessionStore, queue: Queue<DeliveryJobData>) {
  return {
    ownerOf: async (sessionId: string): Promise<number | undefined> => (await store.get(sessionId))?.tenant,
    async end(sessionId: string, tenant: number): Promise<boolean> {
      // Ending a still-queued session also frees its place in the tenant's backlog.
      const { stateApplied } = await store.transition(sessionId, { state: 'terminated', backlogTenant: tenant, endReason: 'deleted' });
      return Boolean(stateApplied);
    },
    async dropWaitingDelivery(sessionId: string): Promise<void> {
      const job = await queue.getJob(sessionId);
      // remove() fails when a worker took the job meanwhile; the worker then skips the ended session.
      if (job && ((await job.isWaiting()) || (await job.isDelayed()))) await job.remove().catch(() => undefined);
    },
  };
}
