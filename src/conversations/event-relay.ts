import { hostname } from 'node:os';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema.js';
import { statusJobOptions, type ConversationEvent, type StatusEventJob } from '../delivery/status-webhooks.js';
import { fieldPairs } from '../redis/field-pairs.js';
import type { RedisKeys } from '../redis/keys.js';

/** The consumer group the relay reads each tenant's events stream with. */
const GROUP = 'status-webhook';
/** An entry another consumer read and did not acknowledge for this long is taken over (it died). */
const TAKE_OVER_AFTER_MS = 60_000;

/**
 * Forwards the conversation events of tenants that have a `statusWebhook` (`message.received`,
 * `message.status`, `session.ended`) to it: read from each tenant's events stream with a consumer
 * group, queued as status-webhook jobs (signed, retried, the stream id as the event id the receiver
 * deduplicates on), then acknowledged. At least once: an entry read by a process that died before
 * acknowledging it is taken over by another after a minute. Events before the group existed (the
 * first start with a webhook) are not sent.
 */
export class ConversationEventRelay {
  private running = false;
  private readonly consumer = `${hostname()}-${process.pid}`;
  private readonly streams: Array<{ tenant: number; key: string }>;

  constructor(
    /** A connection of the relay's own: it blocks on XREADGROUP. */
    private readonly redis: Redis,
    keys: RedisKeys,
    private readonly config: GatewayConfig,
    private readonly queue: Queue<StatusEventJob>,
    private readonly logger: Logger,
  ) {
    this.streams = config.tenants.filter((tenant) => tenant.statusWebhook).map((tenant) => ({ tenant: tenant.id, key: keys.tenantEvents(tenant.id) }));
  }

  async start(): Promise<void> {
    if (this.streams.length === 0) return;
    for (const { key } of this.streams) {
      await this.redis.xgroup('CREATE', key, GROUP, '$', 'MKSTREAM').catch((error: Error) => {
        if (!error.message.includes('BUSYGROUP')) throw error;
      });
    }
    this.running = true;
    void this.loop();
  }

  stop(): void {
    this.running = false;
    this.redis.disconnect();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        for (const stream of this.streams) await this.takeOverStale(stream);
        const read = (await this.redis.xreadgroup('GROUP', GROUP, this.consumer, 'COUNT', 100, 'BLOCK', 2_000, 'STREAMS', ...this.streams.map((stream) => stream.key), ...this.streams.map(() => '>'))) as Array<[string, Array<[string, string[]]>]> | null;
        for (const [key, entries] of read ?? []) await this.forward(this.streams.find((stream) => stream.key === key)!, entries);
      } catch (error) {
        if (!this.running) return;
        this.logger.warn({ err: (error as Error).message }, 'conversation events relay: Redis did not answer, retrying');
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }

  private async takeOverStale(stream: { tenant: number; key: string }): Promise<void> {
    const [, entries] = (await this.redis.xautoclaim(stream.key, GROUP, this.consumer, TAKE_OVER_AFTER_MS, '0-0', 'COUNT', 100)) as [string, Array<[string, string[]] | null>];
    const live = entries.filter((entry): entry is [string, string[]] => entry !== null);
    if (live.length > 0) await this.forward(stream, live);
  }

  private async forward(stream: { tenant: number; key: string }, entries: Array<[string, string[]]>): Promise<void> {
    for (const [id, flat] of entries) {
      const fields = Object.fromEntries(fieldPairs(flat));
      const conversation: ConversationEvent = {
        event: fields.event as ConversationEvent['event'],
        tenant: stream.tenant,
        sessionId: fields.sessionId ?? '',
        chatQueueKey: fields.chatQueueKey ?? '',
        ...(fields.messageId ? { messageId: fields.messageId } : {}),
        at: fields.at ?? '',
        data: JSON.parse(fields.data ?? 'null') as unknown,
      };
      const eventId = `${stream.tenant}-${id}`;
      await this.queue.add('status', { eventId, conversation }, statusJobOptions(eventId, this.config));
      await this.redis.xack(stream.key, GROUP, id);
    }
  }
}
