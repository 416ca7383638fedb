import type { Queue } from 'bullmq';
import type { DeliveryJobData } from '../delivery/delivery-queue.js';
import type { SessionStore } from '../sessions/session-store.js';

export type TerminateOutcome = 'terminated' | 'alreadyEnded' | 'notFound';

/**
 * `DELETE /sessions/:id`: ends the session and drops its delivery job if it has not been sent yet.
 * A job already being sent finishes its send; its delivery status is still tracked afterwards.
 */
export async function terminateSession(
  sessionId: string,
  tenant: number,
  store: SessionStore,
  queue: Queue<DeliveryJobData>,
): Promise<TerminateOutcome> {
  const session = await store.get(sessionId);
  if (!session || session.tenant !== tenant) return 'notFound';
  // Ending a still-queued session also frees its place in the tenant's backlog.
  const { stateApplied } = await store.transition(sessionId, { state: 'terminated', backlogTenant: tenant, endReason: 'deleted' });
  if (!stateApplied) return 'alreadyEnded';
  const job = await queue.getJob(sessionId);
  // remove() fails when a worker took the job meanwhile; the worker then skips the ended session.
  if (job && ((await job.isWaiting()) || (await job.isDelayed()))) await job.remove().catch(() => undefined);
  return 'terminated';
}
