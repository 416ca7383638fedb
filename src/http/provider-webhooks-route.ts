import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema.js';
import { checkInviteSignature, checkSinchSignature } from '../connectors/signature.js';
import { appleInboundMessage, appleStatusReport, readPayload, sinchCallback, webhookInboundMessage, type SinchCallback } from '../connectors/webhook-payloads.js';
import { classifySinchReason } from '../connectors/sinch-reasons.js';
import { readSinchMessage } from '../connectors/sinch-inbound.js';
import type { InboundReceiver } from '../conversations/receive-inbound.js';
import { applyProviderReport, type ChannelRef, type ProviderReport } from '../delivery/status-reports.js';
import type { SessionStore } from '../sessions/session-store.js';
import type { MessageStore } from '../sessions/message-store.js';
import type { GatewayMetrics } from './metrics.js';
import { bodyOf } from './raw-body.js';
import { channelsWithConnector, refuseWebhook, ReportTally, signingChannels, staleSignatureMessage, type WebhookProvider } from './webhook-support.js';
import { notFound } from './errors.js';

export interface ProviderWebhookDependencies {
  config: GatewayConfig;
  store: SessionStore;
  logger: Logger;
  metrics: GatewayMetrics;
  /** Agents' answers, whose status reports move their transcript entry. */
  messages?: MessageStore;
  /** Customer messages (Sinch `message`, Apple `type: "message"`) go to their conversation. */
  inbound: InboundReceiver;
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
      tally.add(delivery ? await applyProviderReport(deps.store, deps.logger, sinchProviderReport(report, delivery), appChannels, webhookDedupeSeconds, deps.messages) : 'ignored');
    }
    const inbound = callback.value.message;
    if (inbound) {
      // The contact's message belongs to the signing channel of the app it names, sent to one of its numbers.
      const channel = signedBy.find(({ connector }) => connector.appId === callback.value.app_id);
      const businessId = channel && businessIdOf(deps.config, channel, inbound.sender_id);
      tally.add(channel && businessId ? await deps.inbound.receive(channel, readSinchMessage(inbound, businessId, callback.value.correlation_id)) : 'unknown');
    }
    tally.answer(response, deps.metrics, 'sinch');
  });

  // The `webhook` connector's customers: one route per channel name, the signature picks the tenant.
  const webhookChannels = channelsWithConnector(deps.config, 'webhook');
  app.post('/webhooks/inbound/:channel', rawBody, async (request, response) => {
    const named = webhookChannels.filter(({ channel }) => channel === request.params.channel);
    if (named.length === 0) throw notFound();
    const raw = bodyOf(request);
    const body = raw.toString('utf8');
    const header = request.get('x-invite-signature');
    const signedBy = signingChannels(named, ({ connector }) => checkInviteSignature(header, body, connector.secret, tolerance), refuseSignature(response, 'webhook'));
    if (!signedBy) return;
    const message = readPayload(webhookInboundMessage, raw);
    if (!message.ok) return refuseWebhook(response, deps.metrics, 'webhook', 'shape', message.problem);
    const { id, from, to, text, attachments, replyTo } = message.value;
    const channel = signedBy[0]!;
    const first = attachments?.[0];
    const inbound = {
      providerMessageId: id,
      clientId: from,
      businessId: to,
      at: new Date().toISOString(),
      kind: text === undefined ? ('media' as const) : ('text' as const),
      ...(text === undefined ? {} : { text }),
      ...(first ? { media: { url: first.url, ...(first.mimeType ? { mimeType: first.mimeType } : {}), ...(first.name ? { filename: first.name } : {}) } } : {}),
      ...(replyTo ? { replyToProviderMessageId: replyTo } : {}),
    };
    const tally = new ReportTally();
    tally.add(await deps.inbound.receive(channel, inbound));
    tally.answer(response, deps.metrics, 'webhook');
  });

  app.post('/webhooks/apple', rawBody, async (request, response) => {
    const raw = bodyOf(request);
    const body = raw.toString('utf8');
    const header = request.get('x-invite-signature');
    const signedBy = signingChannels(appleChannels, ({ connector }) => checkInviteSignature(header, body, connector.secret, tolerance), refuseSignature(response, 'apple'));
    if (!signedBy) return;
    const tally = new ReportTally();
    if (isAppleMessage(raw)) {
      const message = readPayload(appleInboundMessage, raw);
      if (!message.ok) return refuseWebhook(response, deps.metrics, 'apple', 'shape', message.problem);
      const { id, sourceId, destinationId, body: text, interactiveData } = message.value;
      const channel = signedBy.find((candidate) => businessIdOf(deps.config, candidate, destinationId) === destinationId);
      const inbound = {
        providerMessageId: id,
        clientId: sourceId,
        businessId: destinationId,
        at: new Date().toISOString(),
        ...(interactiveData === undefined ? { kind: 'text' as const } : { kind: 'richContent' as const, payload: JSON.stringify(interactiveData) }),
        ...(text ? { text } : {}),
      };
      tally.add(channel ? await deps.inbound.receive(channel, inbound) : 'unknown');
      return tally.answer(response, deps.metrics, 'apple');
    }
    const report = readPayload(appleStatusReport, raw);
    if (!report.ok) return refuseWebhook(response, deps.metrics, 'apple', 'shape', report.problem);

    const { id, status, code } = report.value;
    const delivery = Object.hasOwn(APPLE_STATUS, status) ? APPLE_STATUS[status]! : undefined;
    tally.add(delivery ? await applyProviderReport(deps.store, deps.logger, { providerMessageId: id, delivery, providerCode: code }, signedBy, webhookDedupeSeconds, deps.messages) : 'ignored');
    tally.answer(response, deps.metrics, 'apple');
  });
}

/** A Sinch delivery report; a `FAILED` one keeps `reason.code`, classified by Sinch's table (connectors/sinch-reasons.ts). */
function sinchProviderReport(report: NonNullable<SinchCallback['message_delivery_report']>, delivery: Delivery): ProviderReport {
  const reason = report.reason;
  const code = reason?.code;
  const message = reason?.description ?? code;
  if (delivery !== 'failed') return { providerMessageId: report.message_id, delivery, ...(message ? { message } : {}) };
  return { providerMessageId: report.message_id, delivery, outcome: classifySinchReason(code), ...(code ? { providerCode: code } : {}), ...(message ? { message } : {}) };
}

/** Apple MSP posts customer messages and status reports to one route: a message says `type: "message"`. */
function isAppleMessage(raw: Buffer): boolean {
  try {
    const body: unknown = JSON.parse(raw.toString('utf8'));
    return typeof body === 'object' && body !== null && (body as { type?: unknown }).type === 'message';
  } catch {
    return false;
  }
}

/**
 * The business id of a channel a customer wrote to: `named` when it is one of the channel's own
 * (numbers compared without `+`), else the channel's only one when it has just one.
 */
function businessIdOf(config: GatewayConfig, ref: ChannelRef, named: string | undefined): string | undefined {
  const businessIds = config.tenants.find((tenant) => tenant.id === ref.tenant)?.channels.find((channel) => channel.name === ref.channel)?.businessIds ?? [];
  const bare = (id: string) => id.replace(/^\+/, '');
  const match = named === undefined ? undefined : businessIds.find((id) => bare(id) === bare(named));
  return match ?? (businessIds.length === 1 ? businessIds[0] : undefined);
}
