import { createHash } from 'node:crypto';
import { getEntry } from '../esp/kvlist.js';
import type { Session } from '../sessions/session.js';
import type { RenderedMessage } from '../templates/types.js';
import type { Connector, InboundSink, SendAccepted, StatusSink } from './connector.js';
import { DeliveryFailure } from './delivery-failure.js';
import { classifyWhatsAppError } from './whatsapp-error-codes.js';

/** Most simulated replies to one invite (`UserData.SandboxReplyCount`). */
const MOST_REPLIES = 10;

/**
 * The built-in simulator: accepts every message, then reports `delivered` and `read` a moment
 * later. `UserData.SandboxOutcome` set to a WhatsApp error code makes it answer that error instead,
 * so tests and demos can drive every outcome without a provider. `UserData.SandboxReply` makes the
 * simulated customer answer the invite with that text a moment after `read`
 * (`UserData.SandboxReplyCount` times), quoting it, so a whole conversation runs with `npm start`.
 */
export class SandboxConnector implements Connector {
  readonly kind = 'sandbox';
  private readonly timers = new Set<NodeJS.Timeout>();

  private sequence = 0;

  constructor(
    private readonly reportStatus: StatusSink,
    private readonly reportDelayMs: number,
    private readonly receiveInbound?: InboundSink,
  ) {}

  async send(message: RenderedMessage, session: Session): Promise<SendAccepted> {
    const requested = getEntry(session.userData, 'SandboxOutcome');
    if (requested !== undefined && String(requested) !== '') {
      const code = Number(requested);
      const rule = classifyWhatsAppError(code);
      throw new DeliveryFailure(rule.outcome, rule.retryable, `sandbox answered error ${code} as asked by UserData.SandboxOutcome`, code);
    }
    const providerMessageId = sandboxMessageId(session.sessionId, message, ++this.sequence);
    const about = { sessionId: session.sessionId, providerMessage: { providerMessageId, tenant: session.tenant, channel: session.channel } };
    this.later(this.reportDelayMs, () => this.reportStatus({ ...about, delivery: 'delivered' }));
    this.later(this.reportDelayMs * 2, () => this.reportStatus({ ...about, delivery: 'read' }));
    // The invite (its session's delivery still pending) may ask for simulated replies; answers do not.
    if (session.delivery === 'pending') this.scheduleReplies(session, providerMessageId);
    return { providerMessageId };
  }

  private scheduleReplies(session: Session, inviteMessageId: string): void {
    const text = getEntry(session.userData, 'SandboxReply');
    if (!this.receiveInbound || text === undefined || String(text) === '') return;
    const count = Math.min(MOST_REPLIES, Math.max(1, Number(getEntry(session.userData, 'SandboxReplyCount') ?? 1) || 1));
    for (let n = 1; n <= count; n++) {
      this.later(this.reportDelayMs * (2 + n), () =>
        this.receiveInbound!({ tenant: session.tenant, channel: session.channel }, {
          providerMessageId: `${inviteMessageId}.reply${n}`,
          clientId: session.clientId,
          businessId: session.businessId,
          at: new Date().toISOString(),
          kind: 'text',
          text: String(text),
          replyToProviderMessageId: inviteMessageId,
          customerName: 'Sandbox Customer',
        }).then(() => undefined),
      );
    }
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

/** Looks like a WhatsApp wamid: one per send, so an agent's answers never share an id. */
function sandboxMessageId(sessionId: string, message: RenderedMessage, sequence: number): string {
  const digest = createHash('sha256').update(sessionId).update(message.standardResponseId).update(String(sequence)).digest('base64url');
  return `sandbox.${digest.slice(0, 32)}`;
}
