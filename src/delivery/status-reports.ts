import type { StatusReport } from '../connectors/connector.js';
import type { SessionStore } from '../sessions/session-store.js';

/**
 * Applies a provider's status report to the session's `delivery`. Reports arrive late, twice or out
 * of order; the store's transition only moves delivery forward, so a late `delivered` after `read`
 * changes nothing, and reports keep applying after the session is terminated.
 */
export async function applyStatusReport(store: SessionStore, report: StatusReport): Promise<void> {
  await store.transition(report.sessionId, {
    delivery: report.delivery,
    set:
      report.delivery === 'failed'
        ? { error: { code: 'undeliverable', providerCode: report.providerCode ?? null, message: report.message ?? 'the provider reported the message as failed' } }
        : undefined,
  });
}
