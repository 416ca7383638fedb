import type { Logger } from 'pino';
import type { NewSession } from '../sessions/session.js';
import type { WithdrawOutcome } from '../sessions/session-store.js';

type SessionRef = Pick<NewSession, 'sessionId' | 'tenant'>;

export interface DoubtfulInvitesOptions {
  withdraw(session: SessionRef): Promise<WithdrawOutcome>;
  logger?: Logger;
  /** Between two tries while Redis does not answer. @defaultValue 500 ms */
  retryEveryMs?: number;
  /** How long a withdrawal is tried before it is given up (and logged). @defaultValue 10 min */
  giveUpAfterMs?: number;
  /** Withdrawals held at once; past it the oldest is given up (and logged). @defaultValue 100,000 */
  maxPending?: number;
}

/**
 * Invites answered with a fault while their writes may have landed (a reply lost to a timeout or a
 * dropped connection). Each is withdrawn as soon as Redis answers again, before a worker can take
 * it; an unconfirmed one would never be sent anyway, so this mostly frees its backlog place and
 * idempotency key, and closes the case of a confirmation whose answer was lost.
 */
export class DoubtfulInvites {
  private readonly pending = new Map<string, { session: SessionRef; since: number }>();
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(private readonly options: DoubtfulInvitesOptions) {}

  get size(): number {
    return this.pending.size;
  }

  /** Withdraws now, and keeps trying in the background until Redis answers. */
  add(session: SessionRef): void {
    const maxPending = this.options.maxPending ?? 100_000;
    if (this.pending.size >= maxPending) {
      const [oldest] = this.pending.keys();
      if (oldest) this.giveUp(oldest, 'too many withdrawals waiting');
    }
    this.pending.set(session.sessionId, { session, since: Date.now() });
    void this.flush();
    this.schedule();
  }

  /** Tries every pending withdrawal once; resolves when the round is over. */
  async flush(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (const [sessionId, { session, since }] of this.pending) {
        try {
          const outcome = await this.options.withdraw(session);
          this.pending.delete(sessionId);
          if (outcome === 'taken') this.options.logger?.error({ sessionId, alert: 'refused_invite_taken' }, 'an invite answered with a fault had already been taken by a worker: it may be sent');
        } catch {
          if (Date.now() - since > (this.options.giveUpAfterMs ?? 600_000)) this.giveUp(sessionId, 'Redis did not answer in time');
          // Redis still does not answer: the rest would fail the same way; try the round again later.
          break;
        }
      }
    } finally {
      this.running = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.pending.size === 0) return this.stop();
      void this.flush();
    }, this.options.retryEveryMs ?? 500);
    this.timer.unref();
  }

  private giveUp(sessionId: string, reason: string): void {
    this.pending.delete(sessionId);
    this.options.logger?.error({ sessionId, alert: 'withdrawal_given_up', reason }, 'gave up withdrawing an invite answered with a fault; an unconfirmed one is still never sent');
  }
}
