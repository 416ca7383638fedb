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
  const { stateApplied } = await store.transition(sessionId, { state: 'terminated' });
  if (!stateApplied) return 'alreadyEnded';
  const job = await queue.getJob(sessionId);
  if (job && (await job.isWaiting() || await job.isDelayed())) {
    const neverStarted = job.attemptsMade === 0;
    // remove() fails when a worker took the job meanwhile; the worker then skips the ended session.
    const removed = await job.remove().then(() => true, () => false);
    if (removed && neverStarted) await store.releaseBacklog(tenant);
  }
  return 'terminated';
}
