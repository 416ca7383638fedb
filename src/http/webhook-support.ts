import type { Response } from 'express';
import type { ConnectorConfig, GatewayConfig } from '../config/schema.js';
import type { SignatureCheck } from '../connectors/signature.js';
import type { ChannelRef, ReportResult } from '../delivery/status-reports.js';
import type { GatewayMetrics } from './metrics.js';
import { badRequest, HttpError, sendHttpError } from './errors.js';

export type WebhookProvider = 'whatsapp' | 'sinch' | 'apple' | 'webhook';

/** A configured channel with its connector of one kind. */
export type ConnectorChannel<K extends ConnectorConfig['kind']> = ChannelRef & { connector: Extract<ConnectorConfig, { kind: K }> };

/** Every channel, of every tenant, whose connector is of `kind`. */
export function channelsWithConnector<K extends ConnectorConfig['kind']>(config: GatewayConfig, kind: K): Array<ConnectorChannel<K>> {
  return config.tenants.flatMap((tenant) =>
    tenant.channels.flatMap((channel) =>
      channel.connector.kind === kind ? [{ tenant: tenant.id, channel: channel.name, connector: channel.connector as Extract<ConnectorConfig, { kind: K }> }] : [],
    ),
  );
}

/**
 * The channels whose secret signed the request. None: the request is answered 401 (a signature
 * that is right but outside the time window is named as such, so a sender can fix its clock).
 */
export function signingChannels<C extends ChannelRef>(
  channels: C[],
  check: (channel: C) => SignatureCheck,
  refuse: (reason: 'signature' | 'stale') => void,
): C[] | undefined {
  const checks = channels.map((channel) => ({ channel, result: check(channel) }));
  const signed = checks.filter(({ result }) => result === 'valid').map(({ channel }) => channel);
  if (signed.length > 0) return signed;
  refuse(checks.some(({ result }) => result === 'stale') ? 'stale' : 'signature');
  return undefined;
}

/** Answers a refused webhook request and counts it; nothing was changed. */
export function refuseWebhook(response: Response, metrics: GatewayMetrics, provider: WebhookProvider, reason: 'signature' | 'stale' | 'shape', message: string): void {
  metrics.webhookRefused.inc({ provider, reason });
  sendHttpError(response, reason === 'shape' ? badRequest(message) : new HttpError(401, 'bad_signature', message));
}

export function staleSignatureMessage(toleranceSeconds: number): string {
  return `the signature timestamp is more than ${toleranceSeconds} s away from now (a replay or a wrong clock)`;
}

/** What one webhook request's reports became; answered to the provider and counted in the metrics. */
export class ReportTally {
  private readonly counts: Record<ReportResult | 'ignored', number> = { applied: 0, duplicate: 0, unknown: 0, ignored: 0 };

  add(result: ReportResult | 'ignored'): void {
    this.counts[result]++;
  }

  /** 200 even for unknown messages: a provider would otherwise retry them for days. */
  answer(response: Response, metrics: GatewayMetrics, provider: WebhookProvider): void {
    for (const [result, count] of Object.entries(this.counts)) if (count > 0) metrics.webhookReports.inc({ provider, result }, count);
    const { applied, duplicate, unknown, ignored } = this.counts;
    response.json({ received: applied + duplicate + unknown + ignored, applied, duplicates: duplicate, unknown, ignored });
  }
}
