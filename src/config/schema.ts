import { z } from 'zod';
import { CHAT_QUEUE_KEY } from '../esp/chat-queue-key.js';

/**
 * The gateway's JSON configuration (docs/protocol.md#configuration). Every object is strict: an unknown key is a
 * typo that must stop the start, not pass silently.
 */

/** `env:NAME` reads a secret from the environment at start; anything else is the literal value. */
const secret = z.string().min(1);

const statusWebhook = z.strictObject({
  url: z.url(),
  secret,
});

const sandboxConnector = z.strictObject({
  kind: z.literal('sandbox'),
  /** Milliseconds before the simulated `delivered` report (`read` follows after as long again). */
  reportDelayMs: z.number().int().min(0).max(60_000).default(300),
});

const whatsappCloudConnector = z.strictObject({
  kind: z.literal('whatsapp-cloud'),
  baseUrl: z.url(),
  apiVersion: z.string().regex(/^v\d+\.\d+$/, 'must look like v23.0'),
  phoneNumberId: z.union([z.string().min(1), z.record(z.string(), z.string().min(1))]),
  token: secret,
  appSecret: secret.optional(),
  verifyToken: secret.optional(),
});

/** Sinch's OAuth2 token endpoint (its SDKs' default authentication host, path `/oauth2/token`). */
export const SINCH_AUTH_URL = 'https://auth.sinch.com/oauth2/token';

/**
 * Sinch authenticates with a fixed bearer `token`, or with an access key (`keyId` + `keySecret`)
 * exchanged for short-lived OAuth2 tokens at `authUrl`; exactly one of the two (checked in load.ts).
 */
const sinchConnector = z.strictObject({
  kind: z.literal('sinch'),
  baseUrl: z.url(),
  projectId: z.string().min(1),
  appId: z.string().min(1),
  token: secret.optional(),
  keyId: z.string().min(1).optional(),
  keySecret: secret.optional(),
  authUrl: z.url().default(SINCH_AUTH_URL),
  callbackSecret: secret.optional(),
});

const appleMspConnector = z.strictObject({
  kind: z.literal('apple-msp'),
  baseUrl: z.url(),
  mspId: z.string().min(1).optional(),
  secret,
});

const webhookConnector = z.strictObject({
  kind: z.literal('webhook'),
  url: z.url(),
  secret,
});

const connector = z.discriminatedUnion('kind', [
  sandboxConnector,
  whatsappCloudConnector,
  sinchConnector,
  appleMspConnector,
  webhookConnector,
]);

const enrichment = z.strictObject({
  request: z.strictObject({
    method: z.enum(['GET', 'POST']).default('GET'),
    url: z.string().min(1),
    authentication: z
      .discriminatedUnion('type', [
        z.strictObject({ type: z.literal('basic'), username: z.string(), password: secret }),
        z.strictObject({ type: z.literal('bearer'), token: secret }),
      ])
      .optional(),
    headers: z.record(z.string(), z.string()).optional(),
    params: z.record(z.string(), z.string()).optional(),
  }),
  response: z.strictObject({
    save: z.record(z.string(), z.record(z.string(), z.string())),
  }),
  timeoutMs: z.number().int().positive().default(800),
  cacheSeconds: z.number().int().min(0).default(300),
  onFailure: z.enum(['continue', 'refuse']).default('continue'),
});

const channel = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, dot, dash or underscore'),
  type: z.enum(['whatsapp', 'apple', 'sms']),
  businessIds: z.array(z.string().min(1)).min(1),
  inboundRouteByCall: z.string().regex(CHAT_QUEUE_KEY, 'must be <tenant-id>:<chat endpoint name>'),
  connector,
  rateLimit: z.strictObject({ perSecond: z.number().positive().default(80) }).default({ perSecond: 80 }),
  perRecipient: z.strictObject({ max: z.number().int().positive(), windowSeconds: z.number().int().positive() }).optional(),
  contactIdKeys: z.array(z.string().min(1)).default([]),
  allowFreeText: z.boolean().default(false),
  appleInvitations: z.boolean().default(false),
  enrichment: enrichment.optional(),
  /** Inbound texts (trimmed, any case) that suppress the customer on this channel; default STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT. */
  optOutKeywords: z.array(z.string().min(1).max(64)).default(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT']),
  /** Inbound texts that lift a customer's opt-out; default START, UNSTOP. */
  optInKeywords: z.array(z.string().min(1).max(64)).default(['START', 'UNSTOP']),
  /** Sent once to a customer who opts out (inside the service window they just opened); absent: no reply. */
  optOutReply: z.string().min(1).max(1_024).optional(),
});

const tenant = z.strictObject({
  id: z.number().int().nonnegative(),
  apiKeys: z.array(secret).min(1),
  statusWebhook: statusWebhook.optional(),
  channels: z.array(channel).min(1),
});

export const configSchema = z.strictObject({
  tenants: z.array(tenant).min(1),
  limits: z
    .strictObject({
      /**
       * Largest `POST /esp` body, in bytes; larger is 413 (fault 1001).
       * @defaultValue 262144 (256 KiB)
       */
      bodyBytes: z.number().int().positive().default(262_144),
      /**
       * How deep KVLists may nest in a `POST /esp` body, in levels (`Request` is 1, `Parameters` 2,
       * `Contact` 3), 3 to 256; deeper is fault 1001.
       * @defaultValue 32
       */
      maxNestingDepth: z.number().int().min(3).max(256).default(32),
      /**
       * How long session records live in Redis, in seconds.
       * @defaultValue 604800 (7 days)
       */
      sessionTtlSeconds: z.number().int().positive().default(604_800),
      /**
       * Invites of one tenant waiting for delivery before fault 1050 is answered.
       * @defaultValue 100000
       */
      queueLimitPerTenant: z.number().int().positive().default(100_000),
      /**
       * Approximate MAXLEN of each chat-queue stream, in entries.
       * @defaultValue 100000
       */
      chatQueueMaxLen: z.number().int().positive().default(100_000),
      /**
       * Seconds an open session may go with no message either way before it ends (reason `idle`).
       * @defaultValue 86400 (24 h)
       */
      sessionIdleSeconds: z.number().int().positive().default(86_400),
      /**
       * Milliseconds a Redis command may take on the request path before fault 1050.
       * @defaultValue 2000
       */
      redisCommandTimeoutMs: z.number().int().positive().default(2_000),
      /**
       * Seconds a provider webhook's signed timestamp (Sinch, `X-Invite-Signature`) may be away from
       * now before it is refused as a replay.
       * @defaultValue 300 (5 minutes)
       */
      webhookToleranceSeconds: z.number().int().positive().default(300),
      /**
       * Seconds a provider status report (message id, status) is remembered so a replayed one changes
       * nothing (WhatsApp signatures carry no timestamp).
       * @defaultValue 86400 (24 h)
       */
      webhookDedupeSeconds: z.number().int().positive().default(86_400),
      /**
       * Milliseconds SIGTERM/SIGINT waits for the requests in flight to be answered and the
       * keep-alive connections to close before cutting those still open.
       * @defaultValue 10000
       */
      shutdownGraceMs: z.number().int().positive().default(10_000),
      /**
       * Largest `POST /campaigns` JSON body, in bytes: it is read whole, so big lists belong in CSV.
       * @defaultValue 20971520 (20 MiB)
       */
      campaignJsonBytes: z.number().int().positive().default(20_971_520),
      /**
       * Largest `POST /campaigns` CSV body, in bytes; it streams, memory stays flat.
       * @defaultValue 104857600 (100 MiB: a million rows of 100 bytes)
       */
      campaignCsvBytes: z.number().int().positive().default(104_857_600),
      /**
       * Longest value in one CSV field, in UTF-8 bytes.
       * @defaultValue 4096 (four times WhatsApp's 1024-character template text)
       */
      csvFieldBytes: z.number().int().positive().default(4_096),
      /**
       * Longest CSV line (one recipient, every field), in bytes: refused as soon as that much is read.
       * @defaultValue 65536
       */
      csvLineBytes: z.number().int().positive().default(65_536),
      /**
       * Most recipients in one campaign, JSON or CSV, in rows (each row is a Redis hash field).
       * @defaultValue 1000000
       */
      campaignRows: z.number().int().positive().default(1_000_000),
    })
    .prefault({}),
  retry: z
    .strictObject({
      /**
       * Delivery attempts of a retryable provider error, the first included.
       * @defaultValue 8
       */
      attempts: z.number().int().positive().default(8),
      /**
       * First backoff, in milliseconds; it doubles each attempt, with jitter, honouring `Retry-After`.
       * @defaultValue 1000
       */
      baseDelayMs: z.number().int().positive().default(1_000),
      /**
       * Longest backoff, in milliseconds.
       * @defaultValue 300000 (5 minutes)
       */
      maxDelayMs: z.number().int().positive().default(300_000),
    })
    .prefault({}),
});

export type GatewayConfigInput = z.input<typeof configSchema>;
export type GatewayConfig = z.output<typeof configSchema>;
export type TenantConfig = GatewayConfig['tenants'][number];
export type ChannelConfig = TenantConfig['channels'][number];
export type ConnectorConfig = ChannelConfig['connector'];
