import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema.js';
import { verifyHubSignature } from '../connectors/signature.js';
import { applyProviderReport } from '../delivery/status-reports.js';
import { bodyOf, parseJson } from './raw-body.js';
import type { SessionStore } from '../sessions/session-store.js';

export interface WhatsAppWebhookDependencies {
  config: GatewayConfig;
  store: SessionStore;
  logger: Logger;
}

/** The part of a WhatsApp webhook this gateway reads: message statuses. */
interface WhatsAppNotification {
  entry?: Array<{ changes?: Array<{ value?: { statuses?: WhatsAppStatus[] } }> }>;
}

interface WhatsAppStatus {
  id?: string;
  status?: string;
  errors?: Array<{ code?: number; title?: string; message?: string }>;
}

const DELIVERY_BY_STATUS = { sent: 'sent', delivered: 'delivered', read: 'read', failed: 'failed' } as const;

/**
 * `GET /webhooks/whatsapp`: Meta's verification handshake (the channel's `verifyToken`).
 * `POST /webhooks/whatsapp`: status notifications, accepted only with a valid
 * `X-Hub-Signature-256` from one of the configured app secrets; a bad signature is 401 and
 * changes nothing.
 */
export function registerWhatsAppWebhook(app: Express, deps: WhatsAppWebhookDependencies): void {
  const connectors = deps.config.tenants.flatMap((tenant) => tenant.channels.map((channel) => channel.connector)).filter((connector) => connector.kind === 'whatsapp-cloud');
  const verifyTokens = connectors.map((connector) => connector.verifyToken).filter((token): token is string => Boolean(token));
  const appSecrets = connectors.map((connector) => connector.appSecret).filter((secret): secret is string => Boolean(secret));

  app.get('/webhooks/whatsapp', (request, response) => {
    const { 'hub.mode': mode, 'hub.verify_token': token, 'hub.challenge': challenge } = request.query;
    if (mode === 'subscribe' && typeof token === 'string' && verifyTokens.includes(token) && typeof challenge === 'string') {
      response.type('text/plain').send(challenge);
      return;
    }
    response.status(403).json({ error: 'verification failed' });
  });

  app.post('/webhooks/whatsapp', express.raw({ type: () => true, limit: '1mb' }), async (request, response) => {
    const raw = bodyOf(request);
    const signature = request.get('x-hub-signature-256');
    if (!appSecrets.some((secret) => verifyHubSignature(signature, raw, secret))) {
      response.status(401).json({ error: 'bad or missing X-Hub-Signature-256' });
      return;
    }
    const notification = parseJson(raw) as WhatsAppNotification | undefined;
    if (!notification) {
      response.status(400).json({ error: 'the body is not JSON' });
      return;
    }
    const statuses = (notification.entry ?? []).flatMap((entry) => (entry.changes ?? []).flatMap((change) => change.value?.statuses ?? []));
    for (const status of statuses) await applyWhatsAppStatus(status, deps);
    // 200 even for statuses of unknown messages: Meta would otherwise retry them for days.
    response.json({ received: statuses.length });
  });
}

async function applyWhatsAppStatus(status: WhatsAppStatus, deps: WhatsAppWebhookDependencies): Promise<void> {
  const delivery = status.status && Object.hasOwn(DELIVERY_BY_STATUS, status.status) ? DELIVERY_BY_STATUS[status.status as keyof typeof DELIVERY_BY_STATUS] : undefined;
  if (!status.id || !delivery) return;
  const error = status.errors?.[0];
  await applyProviderReport(deps.store, deps.logger, { providerMessageId: status.id, delivery, providerCode: error?.code, message: error?.message ?? error?.title });
}
