import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DeliveryStats } from '../sessions/session-store.js';

/** The send-guarantee counters, kept in Redis for all processes together (docs/reliability.md). */
const DELIVERY_STATS: Record<keyof DeliveryStats, { name: string; help: string }> = {
  withdrawnUnconfirmed: {
    name: 'invite_gateway_invites_withdrawn_unconfirmed_total',
    help: 'Invites whose writes landed after their caller was answered a fault (never confirmed), withdrawn unsent; all processes',
  },
  withdrawnAfterDoubt: {
    name: 'invite_gateway_invites_withdrawn_after_doubt_total',
    help: 'Invites answered with a fault while their writes may have landed, withdrawn once Redis answered again; all processes',
  },
  refusedButSent: {
    name: 'invite_gateway_refused_invites_taken_total',
    help: 'Invites answered with a fault that a worker had already taken when their withdrawal arrived (may have been sent); all processes',
  },
  sendsAfterUnknownOutcome: {
    name: 'invite_gateway_possible_duplicate_sends_total',
    help: 'Sends retried after an attempt that never reported back (a worker died or lost Redis mid-send): possible duplicates; all processes',
  },
};

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

  /**
   * Exposes the send-guarantee counters read from Redis at each scrape. They are the same on every
   * API process (one Redis count), so aggregate them with `max`, not `sum`. A scrape while Redis is
   * down shows the last value read.
   */
  exposeDeliveryStats(read: () => Promise<DeliveryStats>): void {
    let latest: Promise<DeliveryStats | undefined> | undefined;
    const readOncePerScrape = () => (latest ??= read().catch(() => undefined).finally(() => setImmediate(() => (latest = undefined))));
    for (const [field, { name, help }] of Object.entries(DELIVERY_STATS) as Array<[keyof DeliveryStats, { name: string; help: string }]>) {
      new Counter({
        name,
        help,
        registers: [this.registry],
        async collect() {
          const stats = await readOncePerScrape();
          if (!stats) return;
          this.reset();
          this.inc(stats[field]);
        },
      });
    }
  }
}
