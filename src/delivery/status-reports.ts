import type { Logger } from 'pino';
import type { StatusReport } from '../connectors/connector.js';
import type { SessionStore } from '../sessions/session-store.js';
import { classifyWhatsAppError } from './outcomes.js';

/**
 * Applies a provider's status report to the session's `delivery`. Reports arrive late, twice or out
 * of order; the store's transition only moves delivery forward, so a late `delivered` after `read`
 * changes nothing, and reports keep applying after the session is terminated. A report that the
 * recipient stopped marketing messages suppresses later invites to them.
 */
export async function applyStatusReport(store: SessionStore, report: StatusReport): Promise<void> {
  if (report.delivery !== 'failed') {
    await store.transition(report.sessionId, { delivery: report.delivery });
    return;
  }
  const outcome = report.providerCode === undefined ? 'undeliverable' : classifyWhatsAppError(report.providerCode).outcome;
  const error = { code: outcome, providerCode: report.providerCode ?? null, message: report.message ?? 'the provider reported the message as failed' };
  const { deliveryApplied } = await store.transition(report.sessionId, { delivery: 'failed', set: { error } });
  if (deliveryApplied && outcome === 'marketing_opt_out') {
    const session = await store.get(report.sessionId);
    if (session) await store.suppressRecipient(session.tenant, session.channel, session.clientId);
  }
}

/**
 * A provider's report about one of its messages (wamid, Sinch message id, MSP id): finds the
 * session through the provider-message index, then applies the report. Reports for unknown
 * messages are logged and dropped (the provider would otherwise retry them for days).
 */
export async function applyProviderReport(
  store: SessionStore,
  logger: Logger,
  report: { providerMessageId: string; delivery: 'sent' | StatusReport['delivery']; providerCode?: number; message?: string },
): Promise<void> {
  const sessionId = await store.sessionIdOfProviderMessage(report.providerMessageId);
  if (!sessionId) {
    logger.info({ providerMessageId: report.providerMessageId }, 'delivery report for an unknown message');
    return;
  }
  if (report.delivery === 'sent') await store.transition(sessionId, { delivery: 'sent' });
  else await applyStatusReport(store, { sessionId, delivery: report.delivery, providerCode: report.providerCode, message: report.message });
}
