import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema.js';
import { verifyHubSignature } from '../connectors/signature.js';
import { readPayload, whatsappNotification, type WhatsAppChangeValue, type WhatsAppStatus } from '../connectors/webhook-payloads.js';
import { readWhatsAppMessages } from '../connectors/whatsapp-inbound.js';
import type { InboundMessage } from '../connectors/inbound.js';
import type { InboundReceiver } from '../conversations/receive-inbound.js';
import { applyProviderReport, type ChannelRef, type ReportResult } from '../delivery/status-reports.js';
import type { SessionStore } from '../sessions/session-store.js';
import type { MessageStore } from '../sessions/message-store.js';
import type { GatewayMetrics } from './metrics.js';
import { bodyOf } from './raw-body.js';
import { channelsWithConnector, refuseWebhook, ReportTally, signingChannels, type ConnectorChannel } from './webhook-support.js';
import { HttpError, sendHttpError } from './errors.js';

export interface WhatsAppWebhookDependencies {
  config: GatewayConfig;
  store: SessionStore;
  logger: Logger;
  metrics: GatewayMetrics;
  /** Agents' answers, whose status reports move their transcript entry. */
  messages?: MessageStore;
  /** Customer messages (`messages[]`) go to their conversation. */
  inbound: InboundReceiver;
}

type CloudChannel = ConnectorChannel<'whatsapp-cloud'>;

const DELIVERY_BY_STATUS = { sent: 'sent', delivered: 'delivered', read: 'read', failed: 'failed' } as const;

/**
 * `GET /webhooks/whatsapp`: Meta's verification handshake (the channel's `verifyToken`).
 * `POST /webhooks/whatsapp`: status notifications, accepted only with a valid
 * `X-Hub-Signature-256` from a configured app secret (a bad signature is 401 and changes nothing),
 * and read whole before anything is applied (a wrong shape is 400 naming the field). A status
 * changes only a session of a channel whose app secret signed the request and whose phone-number id
 * the change names (`metadata.phone_number_id`). Meta's signature carries no timestamp, so replays
 * are recognised by (message id, status), remembered `limits.webhookDedupeSeconds`.
 */
export function registerWhatsAppWebhook(app: Express, deps: WhatsAppWebhookDependencies): void {
  const channels = channelsWithConnector(deps.config, 'whatsapp-cloud');
  const verifyTokens = channels.map(({ connector }) => connector.verifyToken).filter((token): token is string => Boolean(token));
  const { webhookDedupeSeconds } = deps.config.limits;

  app.get('/webhooks/whatsapp', (request, response) => {
    const { 'hub.mode': mode, 'hub.verify_token': token, 'hub.challenge': challenge } = request.query;
    if (mode === 'subscribe' && typeof token === 'string' && verifyTokens.includes(token) && typeof challenge === 'string') {
      response.type('text/plain').send(challenge);
      return;
    }
    sendHttpError(response, new HttpError(403, 'forbidden', 'verification failed'));
  });

  app.post('/webhooks/whatsapp', express.raw({ type: () => true, limit: '1mb' }), async (request, response) => {
    const raw = bodyOf(request);
    const signature = request.get('x-hub-signature-256');
    const signedBy = signingChannels(
      channels.filter(({ connector }) => connector.appSecret),
      ({ connector }) => (verifyHubSignature(signature, raw, connector.appSecret!) ? 'valid' : 'invalid'),
      () => refuseWebhook(response, deps.metrics, 'whatsapp', 'signature', 'bad or missing X-Hub-Signature-256'),
    );
    if (!signedBy) return;
    const notification = readPayload(whatsappNotification, raw);
    if (!notification.ok) return refuseWebhook(response, deps.metrics, 'whatsapp', 'shape', notification.problem);

    const tally = new ReportTally();
    for (const entry of notification.value.entry) {
      for (const { value } of entry.changes) {
        const numberChannels = channelsOfNumber(signedBy, value.metadata?.phone_number_id);
        for (const status of value.statuses ?? []) tally.add(await applyWhatsAppStatus(status, numberChannels, webhookDedupeSeconds, deps));
        for (const result of await receiveWhatsAppMessages(value, numberChannels, deps)) tally.add(result);
      }
    }
    tally.answer(response, deps.metrics, 'whatsapp');
  });
}

/**
 * A change's customer messages, recorded on the conversation of the channel that owns the business
 * number (`metadata.phone_number_id`) among those whose secret signed the request. A number no
 * signing channel sends from changes nothing (counted as unknown).
 */
async function receiveWhatsAppMessages(value: WhatsAppChangeValue, channels: CloudChannel[], deps: WhatsAppWebhookDependencies): Promise<Array<'applied' | 'duplicate' | 'unknown'>> {
  const messages = value.messages ?? [];
  const channel = channels[0];
  const businessId = channel ? businessIdOfNumber(channel, value.metadata?.phone_number_id ?? '', deps.config) : undefined;
  if (!channel || !businessId) return messages.map(() => 'unknown');
  // One customer's messages in their order (their transcript keeps it); different customers at once,
  // so a batch costs about one round trip to Redis instead of one per message.
  const byCustomer = new Map<string, InboundMessage[]>();
  for (const message of readWhatsAppMessages(value, businessId)) byCustomer.set(message.clientId, [...(byCustomer.get(message.clientId) ?? []), message]);
  const perCustomer = await Promise.all(
    [...byCustomer.values()].map(async (ordered) => {
      const results: Array<'applied' | 'duplicate' | 'unknown'> = [];
      for (const message of ordered) results.push(await deps.inbound.receive(channel, message));
      return results;
    }),
  );
  return perCustomer.flat();
}

/** The business id (`_umsBusinessId`) a channel sends from with this phone-number id. */
function businessIdOfNumber(channel: CloudChannel, phoneNumberId: string, config: GatewayConfig): string | undefined {
  const ids = channel.connector.phoneNumberId;
  // A string phone-number id belongs to a channel with one business id (configuration rule).
  const soleBusinessId = () => config.tenants.find((tenant) => tenant.id === channel.tenant)?.channels.find((candidate) => candidate.name === channel.channel)?.businessIds[0];
  if (typeof ids === 'string') return ids === phoneNumberId ? soleBusinessId() : undefined;
  return Object.entries(ids).find(([, id]) => id === phoneNumberId)?.[0];
}

/** The signing channels that send from this phone-number id: the only ones its statuses may change. */
function channelsOfNumber(signedBy: CloudChannel[], phoneNumberId: string | undefined): CloudChannel[] {
  return signedBy.filter(({ connector }) => {
    const ids = connector.phoneNumberId;
    return typeof ids === 'string' ? ids === phoneNumberId : Object.values(ids).includes(phoneNumberId ?? '');
  });
}

async function applyWhatsAppStatus(status: WhatsAppStatus, channels: ChannelRef[], dedupeSeconds: number, deps: WhatsAppWebhookDependencies): Promise<ReportResult | 'ignored'> {
  const delivery = Object.hasOwn(DELIVERY_BY_STATUS, status.status) ? DELIVERY_BY_STATUS[status.status as keyof typeof DELIVERY_BY_STATUS] : undefined;
  if (!delivery) return 'ignored';
  const error = status.errors?.[0];
  const report = { providerMessageId: status.id, delivery, providerCode: error?.code, message: whatsappErrorMessage(error) };
  return applyProviderReport(deps.store, deps.logger, report, channels, dedupeSeconds, deps.messages);
}

/**
 * A failed status's error as the session keeps it: Meta's title (or message) and, where it gives one,
 * `error_data.details`, which says what exactly went wrong ("Message failed to send because more than
 * 24 hours have passed…").
 */
function whatsappErrorMessage(error: NonNullable<WhatsAppStatus['errors']>[number] | undefined): string | undefined {
  if (!error) return undefined;
  const summary = error.message ?? error.title;
  const details = error.error_data?.details;
  if (!details || details === summary) return summary;
  return summary ? `${summary}: ${details}` : details;
}
