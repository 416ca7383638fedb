import { createHash } from 'node:crypto';
import { classifyWhatsAppError, DeliveryFailure } from '../delivery/outcomes.js';
import { getEntry } from '../esp/kvlist.js';
import type { Session } from '../sessions/session.js';
import type { RenderedMessage } from '../templates/types.js';
import type { Connector, SendAccepted, StatusSink } from './connector.js';

/**
 * The built-in simulator (domain.md 2.1): accepts every message, then reports `delivered` and
 * `read` a moment later. `UserData.SandboxOutcome` set to a WhatsApp error code makes it answer
 * that error instead, so tests and demos can drive every outcome without a provider.
 */
export class SandboxConnector implements Connector {
  readonly kind = 'sandbox';
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly reportStatus: StatusSink,
    private readonly reportDelayMs: number,
  ) {}

  async send(message: RenderedMessage, session: Session): Promise<SendAccepted> {
    const requested = getEntry(session.userData, 'SandboxOutcome');
    if (requested !== undefined && String(requested) !== '') {
      const code = Number(requested);
      const rule = classifyWhatsAppError(code);
      throw new DeliveryFailure(rule.outcome, rule.retryable, `sandbox answered error ${code} as asked by UserData.SandboxOutcome`, code);
    }
    this.later(this.reportDelayMs, () => this.reportStatus({ sessionId: session.sessionId, delivery: 'delivered' }));
    this.later(this.reportDelayMs * 2, () => this.reportStatus({ sessionId: session.sessionId, delivery: 'read' }));
    return { providerMessageId: sandboxMessageId(session.sessionId, message) };
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private later(delayMs: number, report: () => Promise<void>): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      // A report that cannot be stored is lost, as a provider webhook hitting a down gateway would be.
      report().catch(() => undefined);
    }, delayMs);
    this.timers.add(timer);
  }
}

/** Looks like a WhatsApp wamid, derived from the session so a retried send keeps its id. */
function sandboxMessageId(sessionId: string, message: RenderedMessage): string {
  const digest = createHash('sha256').update(sessionId).update(message.standardResponseId).digest('base64url');
  return `sandbox.${digest.slice(0, 32)}`;
}
