import type { SessionEnding } from './ports.js';

export type TerminateOutcome = 'terminated' | 'alreadyEnded' | 'notFound';

/**
 * `DELETE /sessions/:id`: ends the tenant's session and drops its delivery job if it has not been
 * sent yet. A job already being sent finishes its send; its delivery status is still tracked.
 * Another tenant's session is `notFound`, exactly like an unknown one.
 */
export async function terminateSession(sessionId: string, tenant: number, sessions: SessionEnding): Promise<TerminateOutcome> {
  if ((await sessions.ownerOf(sessionId)) !== tenant) return 'notFound';
  if (!(await sessions.end(sessionId, tenant))) return 'alreadyEnded';
  await sessions.dropWaitingDelivery(sessionId);
  return 'terminated';
}
