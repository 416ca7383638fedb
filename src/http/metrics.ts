import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one gateway instance (a registry each, so tests can build several apps). */
export class GatewayMetrics {
  readonly registry = new Registry();

  readonly invites = new Counter({
    name: 'invite_gateway_invites_total',
    help: 'InviteToChat requests answered, by result (created, replayed, dry_run, fault)',
    labelNames: ['result', 'format'] as const,
    registers: [this.registry],
  });

  readonly faults = new Counter({
    name: 'invite_gateway_faults_total',
    help: 'ESP faults answered, by FaultCode',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  readonly inviteDuration = new Histogram({
    name: 'invite_gateway_invite_duration_seconds',
    help: 'Time to answer POST /esp, seconds',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly webhookReports = new Counter({
    name: 'invite_gateway_webhook_reports_total',
    help: 'Provider status reports read from /webhooks/*, by provider and result (applied, duplicate, unknown, ignored)',
    labelNames: ['provider', 'result'] as const,
    registers: [this.registry],
  });

  readonly webhookRefused = new Counter({
    name: 'invite_gateway_webhook_refused_total',
    help: 'Provider webhook requests refused, by provider and reason (signature, stale, shape)',
    labelNames: ['provider', 'reason'] as const,
    registers: [this.registry],
  });

  constructor(collectDefaults = true) {
    if (collectDefaults) collectDefaultMetrics({ register: this.registry, prefix: 'invite_gateway_' });
  }
}
