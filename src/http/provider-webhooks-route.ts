import express, { type Express, type Response } from 'express';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema.js';
import { verifyInviteSignature, verifySinchSignature } from '../connectors/signature.js';
import { applyProviderReport } from '../delivery/status-reports.js';
import type { SessionStore } from '../sessions/session-store.js';
import { bodyOf, parseJson } from './raw-body.js';

export interface ProviderWebhookDependencies {
  config: GatewayConfig;
  store: SessionStore;
  logger: Logger;
}

type Delivery = 'sent' | 'delivered' | 'read' | 'failed';

const SINCH_STATUS: Record<string, Delivery> = { QUEUED_ON_CHANNEL: 'sent', DELIVERED: 'delivered', READ: 'read', FAILED: 'failed' };
const APPLE_STATUS: Record<string, Delivery> = { sent: 'sent', delivered: 'delivered', read: 'read', failed: 'failed' };

/**
 * Delivery reports from Sinch (`POST /webhooks/sinch`, signed with the connector's
 * `callbackSecret`) and from Apple MSPs (`POST /webhooks/apple`, a small neutral JSON
 * `{id, status, destinationId, code?}` signed with `X-Invite-Signature` and the MSP secret, since
 * MSPs differ). A bad signature is 401 and changes nothing.
 */
export function registerProviderWebhooks(app: Express, deps: ProviderWebhookDependencies): void {
  const connectors = deps.config.tenants.flatMap((tenant) => tenant.channels.map((channel) => channel.connector));
  const sinchSecrets = connectors.flatMap((connector) => (connector.kind === 'sinch' && connector.callbackSecret ? [connector.callbackSecret] : []));
  const appleSecrets = connectors.flatMap((connector) => (connector.kind === 'apple-msp' ? [connector.secret] : []));
  const rawBody = express.raw({ type: () => true, limit: '1mb' });

  app.post('/webhooks/sinch', rawBody, async (request, response) => {
    const raw = bodyOf(request);
    const signature = { signature: request.get('x-sinch-webhook-signature'), nonce: request.get('x-sinch-webhook-signature-nonce'), timestamp: request.get('x-sinch-webhook-signature-timestamp') };
    if (!sinchSecrets.some((secret) => verifySinchSignature(signature, raw, secret))) return unauthorized(response);
    const report = parseJson(raw) as { message_delivery_report?: { message_id?: string; status?: string; reason?: { code?: string; description?: string } } } | undefined;
    const delivery = report?.message_delivery_report;
    if (delivery?.message_id && delivery.status && Object.hasOwn(SINCH_STATUS, delivery.status)) {
      await applyProviderReport(deps.store, deps.logger, {
        providerMessageId: delivery.message_id,
        delivery: SINCH_STATUS[delivery.status]!,
        message: delivery.reason?.description ?? delivery.reason?.code,
      });
    }
    response.json({ received: true });
  });

  app.post('/webhooks/apple', rawBody, async (request, response) => {
    const raw = bodyOf(request);
    if (!appleSecrets.some((secret) => verifyInviteSignature(request.get('x-invite-signature'), raw.toString('utf8'), secret))) return unauthorized(response);
    const report = parseJson(raw) as { id?: string; status?: string; code?: number } | undefined;
    if (report?.id && report.status && Object.hasOwn(APPLE_STATUS, report.status)) {
      await applyProviderReport(deps.store, deps.logger, {
        providerMessageId: report.id,
        delivery: APPLE_STATUS[report.status]!,
        providerCode: typeof report.code === 'number' ? report.code : undefined,
      });
    }
    response.json({ received: true });
  });
}

function unauthorized(response: Response): void {
  response.status(401).json({ error: 'bad or missing signature' });
}
