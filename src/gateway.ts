import type { Worker } from 'bullmq';
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { GatewayConfig } from './config/schema.js';
import type { Connector, InboundSink, StatusReport } from './connectors/connector.js';
import { credentialsFingerprint } from './config/credentials.js';
import { checkEnrichmentConfig, Enricher } from './enrichment/enricher.js';
import { CampaignRunner, createCampaignQueue, startCampaignWorker } from './campaigns/campaign-runner.js';
import { CampaignStore } from './campaigns/campaign-store.js';
import { createConnector } from './connectors/index.js';
import { ConfigError } from './config/load.js';
import { createDeliveryQueue } from './delivery/delivery-queue.js';
import { redisInviteStorage, redisSessionEnding } from './delivery/invite-storage.js';
import { startDeliveryWorker, type JobResult } from './delivery/delivery-worker.js';
import { applyProviderReport, applyStatusReport } from './delivery/status-reports.js';
import { createStatusQueue, startStatusWebhookWorker, statusWebhookListener } from './delivery/status-webhooks.js';
import type { DeliveryJobData } from './delivery/delivery-queue.js';
import { createApp } from './http/app.js';
import { ApiKeys } from './http/auth.js';
import { GatewayMetrics } from './http/metrics.js';
import { InviteToChat } from './invite/invite-to-chat.js';
import { connectAndPing, createRequestConnection, createWorkerConnection } from './redis/connections.js';
import { RedisKeys } from './redis/keys.js';
import { RedisClock } from './redis/clock.js';
import { DoubtfulInvites } from './invite/doubtful-invites.js';
import { SessionIdGenerator } from './sessions/session-id.js';
import { SessionStore } from './sessions/session-store.js';
import { ConversationStore } from './conversations/conversation-store.js';
import { InboundReceiver } from './conversations/receive-inbound.js';
import { ConversationEventRelay } from './conversations/event-relay.js';
import { ConversationAnswers } from './conversations/answer.js';
import { MessageStore } from './sessions/message-store.js';
import { loadStandardResponses } from './templates/catalog.js';

export type GatewayRole = 'all' | 'api' | 'worker';

export interface GatewayOptions {
  config: GatewayConfig;
  redisUrl: string;
  /** `REDIS_PREFIX`: every key and queue of this gateway lives under it. */
  redisPrefix: string;
  templatesDir: string;
  role: GatewayRole;
  /** Delivery jobs one worker process runs at once. */
  workerConcurrency: number;
  logger: Logger;
  /** Collect Node process metrics (off in tests that build several gateways). */
  processMetrics?: boolean;
  /** How long the start waits for Redis to answer before it gives up (`REDIS_WAIT_SECONDS`). @defaultValue 30 s */
  redisWaitMs?: number;
  /** How often running campaigns whose steps stopped are looked for. @defaultValue 30 s */
  campaignSweepMs?: number;
  /** How often idle sessions are looked for (worker roles). @defaultValue 30 s, or a quarter of `limits.sessionIdleSeconds` when shorter */
  idleSweepMs?: number;
}

export interface Gateway {
  /** The HTTP app (roles `all` and `api`). */
  app?: Express;
  store: SessionStore;
  keys: RedisKeys;
  worker?: Worker<DeliveryJobData, JobResult>;
  close(): Promise<void>;
}

/**
 * Builds a gateway from its configuration: loads the standard responses (a bad file stops the
 * start), connects to Redis, and wires the API and/or the delivery worker for the role.
 */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { config, logger } = options;
  checkEnrichments(config);
  const catalog = loadStandardResponses(options.templatesDir);
  const keys = new RedisKeys(options.redisPrefix);
  const redis = createRequestConnection(options.redisUrl, config.limits.redisCommandTimeoutMs);
  redis.on('error', (error) => logger.warn({ err: error.message }, 'redis connection error'));
  try {
    await connectAndPing(redis, options.redisUrl, options.redisWaitMs, (error) => logger.warn({ err: error.message }, 'waiting for Redis'));
  } catch (error) {
    // Giving up must stop the reconnecting too, or the process would live on, logging.
    redis.disconnect();
    throw error;
  }
  const statusQueue = createStatusQueue(redis, keys);
  const campaigns = new CampaignStore(redis, keys, config.limits.sessionTtlSeconds);
  const toTenantWebhook = statusWebhookListener(statusQueue, config, logger);
  const clock = new RedisClock(redis);
  await clock.sync();
  clock.startSyncing();
  const store = new SessionStore(
    redis,
    keys,
    config.limits.sessionTtlSeconds,
    async (change) => {
      await toTenantWebhook(change);
      await campaigns.followSession(change);
    },
    clock,
    config.limits.chatQueueMaxLen,
  );
  const queue = createDeliveryQueue(redis, keys);
  // The events stream is trimmed like the chat queues: routing reads both with consumer groups.
  const messages = new MessageStore(redis, keys, { sessionTtlSeconds: config.limits.sessionTtlSeconds, eventsMaxLen: config.limits.chatQueueMaxLen });
  const closers: Array<() => Promise<unknown>> = [];

  // Conversations on every role: the API takes customers' messages and agents' answers, and a
  // worker's sandbox may simulate a customer's reply.
  const ids = await SessionIdGenerator.register(redis, keys.prefix);
  const conversations = new ConversationStore(redis, keys, {
    sessionTtlSeconds: config.limits.sessionTtlSeconds,
    chatQueueMaxLen: config.limits.chatQueueMaxLen,
    eventsMaxLen: config.limits.chatQueueMaxLen,
  });
  const answers = new ConversationAnswers({ config, store, messages, catalog, queue });
  const inbound = new InboundReceiver({ config, conversations, store, answers, ids, logger });

  let worker: Worker<DeliveryJobData, JobResult> | undefined;
  if (options.role !== 'api') {
    const started = startWorker(options, store, messages, keys, campaigns, (target, message) => inbound.receive(target, message));
    worker = started.worker;
    closers.push(started.close);
    // Idle conversations end (reason idle); every worker process sweeps, the end applies once.
    const idleMs = config.limits.sessionIdleSeconds * 1_000;
    const idleSweep = setInterval(() => {
      store.endIdleSessions(idleMs).catch((error: Error) => logger.warn({ err: error.message }, 'idle session sweep failed'));
    }, options.idleSweepMs ?? Math.min(30_000, Math.max(1_000, idleMs / 4)));
    idleSweep.unref();
    closers.push(async () => clearInterval(idleSweep));
    // Conversation events to the tenants' status webhooks, from the worker processes that POST them.
    const relay = new ConversationEventRelay(createWorkerConnection(options.redisUrl), keys, config, statusQueue, logger);
    await relay.start();
    closers.push(async () => relay.stop());
  }

  let app: Express | undefined;
  if (options.role !== 'worker') {
    const doubtful = new DoubtfulInvites({ withdraw: (session) => store.withdraw(session), logger });
    closers.push(async () => {
      // Withdrawals still owed get one last try; those Redis refuses now stay unconfirmed (never sent).
      await doubtful.flush();
      doubtful.stop();
    });
    const inviteToChat = new InviteToChat({
      doubtful,
      config,
      catalog,
      storage: redisInviteStorage(store, queue, config.retry),
      ids,
      enricher: new Enricher(),
      onEnrichmentFailure: (channel, reason) => logger.warn({ channel, reason }, 'enrichment lookup failed: invite sent without the data'),
    });
    // Campaign steps run where the use case is: on the API processes.
    const campaignQueue = createCampaignQueue(redis, keys.bullPrefix);
    const runner = new CampaignRunner(campaigns, inviteToChat, (id) => config.tenants.find((tenant) => tenant.id === id), campaignQueue);
    const campaignConnection = createWorkerConnection(options.redisUrl);
    const campaignWorker = startCampaignWorker(runner, campaignConnection, keys.bullPrefix, logger);
    const stopSweeper = runner.startSweeper(logger, options.campaignSweepMs);
    closers.push(async () => {
      stopSweeper();
      // With Redis gone the worker's close would wait for it forever; a step cut short is retried.
      await Promise.race([campaignWorker.close(), new Promise((resolve) => setTimeout(resolve, 2_000))]);
      await campaignQueue.close();
      await closeConnection(campaignConnection);
    });
    const metrics = new GatewayMetrics(options.processMetrics ?? true);
    metrics.exposeDeliveryStats(() => store.deliveryStats());
    app = createApp({
      keys,
      openEventReader: () => createWorkerConnection(options.redisUrl),
      answers,
      messages,
      inbound,
      conversations,
      campaigns,
      runner,
      catalog,
      ids,
      inviteToChat,
      apiKeys: new ApiKeys(config),
      bodyLimitBytes: config.limits.bodyBytes,
      maxNestingDepth: config.limits.maxNestingDepth,
      metrics,
      logger,
      config,
      store,
      ending: redisSessionEnding(store, queue),
      redisAnswers: () => pingWithin(redis, 1_000),
    });
  }

  return {
    app,
    store,
    keys,
    worker,
    async close() {
      for (const close of closers) await close();
      clock.stop();
      await queue.close();
      await statusQueue.close();
      await closeConnection(redis);
    },
  };
}

/** Enrichment settings the schema cannot judge (save groups, response paths) stop the start too. */
function checkEnrichments(config: GatewayConfig): void {
  const problems: string[] = [];
  config.tenants.forEach((tenant, t) =>
    tenant.channels.forEach((channel, c) => {
      if (channel.enrichment) problems.push(...checkEnrichmentConfig(channel.enrichment).map((problem) => `tenants.${t}.channels.${c}.enrichment.${problem}`));
    }),
  );
  if (problems.length > 0) throw new ConfigError('configuration', problems);
}

function startWorker(options: GatewayOptions, store: SessionStore, messages: MessageStore, keys: RedisKeys, campaigns: CampaignStore, receiveInbound: InboundSink) {
  // The sandbox's simulated reports name their message, as a provider's webhook would: the invite or an answer.
  const reportStatus = async (report: StatusReport) => {
    const about = report.providerMessage;
    if (!about) return applyStatusReport(store, report);
    const delivery = report.delivery;
    await applyProviderReport(store, options.logger, { providerMessageId: about.providerMessageId, delivery }, [about], options.config.limits.webhookDedupeSeconds, messages);
  };
  const connectors = new Map<string, Connector>();
  for (const tenant of options.config.tenants) {
    for (const channel of tenant.channels) connectors.set(`${tenant.id}/${channel.name}`, createConnector(channel.connector, reportStatus, options.logger, receiveInbound));
  }
  const connection = createWorkerConnection(options.redisUrl);
  const fingerprints = new Map(options.config.tenants.flatMap((tenant) => tenant.channels.map((channel) => [`${tenant.id}/${channel.name}`, credentialsFingerprint(channel.connector)] as const)));
  const rates = new Map(options.config.tenants.flatMap((tenant) => tenant.channels.map((channel) => [`${tenant.id}/${channel.name}`, channel.rateLimit.perSecond] as const)));
  const worker = startDeliveryWorker(
    {
      store,
      messages,
      ratePerSecond: (tenant, channel) => rates.get(`${tenant}/${channel}`) ?? 80,
      connectorFor: (tenant, channel) => connectors.get(`${tenant}/${channel}`),
      credentialsOf: (tenant, channel) => fingerprints.get(`${tenant}/${channel}`) ?? '',
      retry: options.config.retry,
      chatQueueMaxLen: options.config.limits.chatQueueMaxLen,
      logger: options.logger,
      campaignState: (campaignId) => campaigns.state(campaignId),
    },
    { connection, keys, concurrency: options.workerConcurrency },
  );
  const statusWorker = startStatusWebhookWorker(connection, keys, options.config, options.logger);
  return {
    worker,
    async close() {
      await worker.close();
      await statusWorker.close();
      for (const connector of connectors.values()) await connector.close?.();
      await closeConnection(connection);
    },
  };
}

/** QUIT when Redis answers (pending replies arrive first); otherwise just stop reconnecting. */
async function closeConnection(redis: Redis): Promise<void> {
  if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
  else redis.disconnect();
}

async function pingWithin(redis: Redis, timeoutMs: number): Promise<boolean> {
  const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
  return Promise.race([redis.ping().then(() => true, () => false), timeout]);
}
