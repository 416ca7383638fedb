import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema.js';
import { checkInviteSignature, checkSinchSignature } from '../connectors/signature.js';
import { appleStatusReport, readPayload, sinchCallback } from '../connectors/webhook-payloads.js';
import { applyProviderReport } from '../delivery/status-reports.js';
import type { SessionStore } from '../sessions/session-store.js';
import type { GatewayMetrics } from './metrics.js';
import { bodyOf } from './raw-body.js';
import { channelsWithConnector, refuseWebhook, ReportTally, signingChannels, staleSignatureMessage, type WebhookProvider } from './webhook-support.js';

export interface ProviderWebhookDependencies {
  config: GatewayConfig;
  store: SessionStore;
  logger: Logger;
  metrics: GatewayMetrics;
}

type Delivery = 'sent' | 'delivered' | 'read' | 'failed';

const SINCH_STATUS: Record<string, Delivery> = { QUEUED_ON_CHANNEL: 'sent', DELIVERED: 'delivered', READ: 'read', FAILED: 'failed' };
const APPLE_STATUS: Record<string, Delivery> = { sent: 'sent', delivered: 'delivered', read: 'read', failed: 'failed' };

/**
 * Delivery reports from Sinch (`POST /webhooks/sinch`, signed with the connector's
 * `callbackSecret`) and from Apple MSPs (`POST /webhooks/apple`, a small neutral JSON
 * `{id, status, destinationId, code?}` signed with `X-Invite-Signature` and the MSP secret, since
 * MSPs differ). A bad signature, or one whose timestamp is more than `limits.webhookToleranceSeconds`
 * from now, is 401; a wrong shape is 400 naming the field; both change nothing. A report changes
 * only a session of a channel whose secret signed it (for Sinch, also of the `app_id` it names).
 */
export function registerProviderWebhooks(app: Express, deps: ProviderWebhookDependencies): void {
  const sinchChannels = channelsWithConnector(deps.config, 'sinch').filter(({ connector }) => connector.callbackSecret);
  const appleChannels = channelsWithConnector(deps.config, 'apple-msp');
  const { webhookToleranceSeconds: tolerance, webhookDedupeSeconds } = deps.config.limits;
  const rawBody = express.raw({ type: () => true, limit: '1mb' });
  const refuseSignature = (response: express.Response, provider: WebhookProvider) => (reason: 'signature' | 'stale') =>
    refuseWebhook(response, deps.metrics, provider, reason, reason === 'stale' ? staleSignatureMessage(tolerance) : 'bad or missing signature');

  app.post('/webhooks/sinch', rawBody, async (request, response) => {
    const raw = bodyOf(request);
    const headers = { signature: request.get('x-sinch-webhook-signature'), nonce: request.get('x-sinch-webhook-signature-nonce'), timestamp: request.get('x-sinch-webhook-signature-timestamp') };
    const signedBy = signingChannels(sinchChannels, ({ connector }) => checkSinchSignature(headers, raw, connector.callbackSecret!, tolerance), refuseSignature(response, 'sinch'));
    if (!signedBy) return;
    const callback = readPayload(sinchCallback, raw);
    if (!callback.ok) return refuseWebhook(response, deps.metrics, 'sinch', 'shape', callback.problem);

    const tally = new ReportTally();
    const report = callback.value.message_delivery_report;
    if (report) {
      const delivery = Object.hasOwn(SINCH_STATUS, report.status) ? SINCH_STATUS[report.status]! : undefined;
      const appChannels = signedBy.filter(({ connector }) => connector.appId === callback.value.app_id);
      const message = report.reason?.description ?? report.reason?.code;
      tally.add(delivery ? await applyProviderReport(deps.store, deps.logger, { providerMessageId: report.message_id, delivery, message }, appChannels, webhookDedupeSeconds) : 'ignored');
    }
    tally.answer(response, deps.metrics, 'sinch');
  });

  app.post('/webhooks/apple', rawBody, async (request, response) => {
    const raw = bodyOf(request);
    const body = raw.toString('utf8');
    const header = request.get('x-invite-signature');
    const signedBy = signingChannels(appleChannels, ({ connector }) => checkInviteSignature(header, body, connector.secret, tolerance), refuseSignature(response, 'apple'));
    if (!signedBy) return;
    const report = readPayload(appleStatusReport, raw);
    if (!report.ok) return refuseWebhook(response, deps.metrics, 'apple', 'shape', report.problem);

    const tally = new ReportTally();
    const { id, status, code } = report.value;
    const delivery = Object.hasOwn(APPLE_STATUS, status) ? APPLE_STATUS[status]! : undefined;
    tally.add(delivery ? await applyProviderReport(deps.store, deps.logger, { providerMessageId: id, delivery, providerCode: code }, signedBy, webhookDedupeSeconds) : 'ignored');
    tally.answer(response, deps.metrics, 'apple');
  });
}
