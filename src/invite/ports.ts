import type { ConfirmOutcome, CreateLimits, CreateOutcome, IdempotencyClaim, WithdrawOutcome } from '../sessions/session-store.js';
import type { NewSession } from '../sessions/session.js';
import type { RenderedMessage } from '../templates/types.js';

/**
 * Where the use cases keep invites: sessions and their delivery jobs. In production Redis and
 * BullMQ (src/delivery/invite-storage.ts, wired in src/gateway.ts); the use cases know only this.
 */
export interface InviteStorage {
  /**
   * Writes the session, unconfirmed, with the checks that must be atomic with it (idempotency,
   * suppression, per-recipient cap, channel stop, the tenant's backlog).
   */
  createSession(session: NewSession, limits: CreateLimits, idempotency?: IdempotencyClaim): Promise<CreateOutcome>;
  /** Queues the session's delivery; a campaign's yields to single invites. The job's id is the session's. */
  enqueueDelivery(session: NewSession, rendered: RenderedMessage | null): Promise<void>;
  /** Drops the delivery job of a session that was not created. */
  dropDelivery(sessionId: string): Promise<void>;
  /** Makes a created session sendable once its job is stored, if its deadline has not passed. */
  confirm(session: NewSession): Promise<ConfirmOutcome>;
  /** Withdraws a session no worker has taken yet: one whose creation may have landed unanswered. */
  withdraw(session: Pick<NewSession, 'sessionId' | 'tenant'>): Promise<WithdrawOutcome>;
}

/** What ending a session needs (`DELETE /sessions/:id`). */
export interface SessionEnding {
  /** The tenant owning the session, undefined when there is none. */
  ownerOf(sessionId: string): Promise<number | undefined>;
  /** Moves the session to `terminated` (reason `deleted`); false when it had already ended. */
  end(sessionId: string, tenant: number): Promise<boolean>;
  /** Drops its delivery job if no worker has taken it yet; a job being sent finishes its send. */
  dropWaitingDelivery(sessionId: string): Promise<void>;
}
