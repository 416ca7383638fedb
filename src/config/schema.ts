import { z } from 'zod';
import { CHAT_QUEUE_KEY } from '../esp/chat-queue-key.js';

/**
 * The gateway's JSON configuration (docs/protocol.md#configuration). Every object is strict: an unknown key is a
 * typo that must stop the start, not pass silently.
 */

/** `env:NAME` reads a secret from the environment at start; anything else is the literal value. */
const secret = z.string().min(1);

/** Where the tenant's session and message events are POSTed (docs/operations.md#status-to-the-contact-center). */
const statusWebhook = z.strictObject({
  /** The receiver's URL. @defaultValue required */
  url: z.url(),
  /** Signs each event (`X-Invite-Signature`). @defaultValue required */
  secret,
});

const sandboxConnector = z.strictObject({
  kind: z.literal('sandbox'),
  /**
   * Milliseconds before the simulated `delivered` report (`read` follows after as long again), 0 to 60,000.
   * @defaultValue 300
   */
  reportDelayMs: z.number().int().min(0).max(60_000).default(300),
});

const whatsappCloudConnector = z.strictObject({
  kind: z.literal('whatsapp-cloud'),
  /** The Graph API host, e.g. `https://graph.facebook.com`. @defaultValue required */
  baseUrl: z.url(),
  /** The Graph API version, `v<major>.<minor>`. @defaultValue required */
  apiVersion: z.string().regex(/^v\d+\.\d+$/, 'must look like v23.0'),
  /** The sending phone-number id, or one per business id when the channel has several. @defaultValue required */
  phoneNumberId: z.union([z.string().min(1), z.record(z.string(), z.string().min(1))]),
  /** The bearer token for sending. @defaultValue required */
  token: secret,
  /** Signs Meta's webhooks (`X-Hub-Signature-256`). @defaultValue absent: no `POST /webhooks/whatsapp` for the channel */
  appSecret: secret.optional(),
  /** Answers Meta's verification handshake. @defaultValue absent */
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
  /** The Conversation API host of the project's region. @defaultValue required */
  baseUrl: z.url(),
  /** @defaultValue required */
  projectId: z.string().min(1),
  /** The Conversation API app; also how a delivery report finds its channel. @defaultValue required */
  appId: z.string().min(1),
  /** A fixed bearer token. @defaultValue absent: `keyId` and `keySecret` instead */
  token: secret.optional(),
  /** The access key's id (HTTP Basic user at `authUrl`). @defaultValue absent: `token` instead */
  keyId: z.string().min(1).optional(),
  /** The access key's secret. @defaultValue absent: `token` instead */
  keySecret: secret.optional(),
  /** Where access keys are exchanged for OAuth2 tokens. @defaultValue https://auth.sinch.com/oauth2/token */
  authUrl: z.url().default(SINCH_AUTH_URL),
  /** Signs Sinch's callbacks (`x-sinch-webhook-signature`). @defaultValue absent: no `POST /webhooks/sinch` for the channel */
  callbackSecret: secret.optional(),
});

const appleMspConnector = z.strictObject({
  kind: z.literal('apple-msp'),
  /** The MSP's API. @defaultValue required */
  baseUrl: z.url(),
  /** The issuer (`iss`) of the JWT sent with each message. @defaultValue invite-gateway (applied by the connector) */
  mspId: z.string().min(1).optional(),
  /** Base64, as Apple hands it out: signs that JWT and the MSP's webhooks. @defaultValue required */
  secret,
});

const webhookConnector = z.strictObject({
  kind: z.literal('webhook'),
  /** Where each send is POSTed. @defaultValue required */
  url: z.url(),
  /** Signs each POST (`X-Invite-Signature`). @defaultValue required */
  secret,
});

const connector = z.discriminatedUnion('kind', [
  sandboxConnector,
  whatsappCloudConnector,
  sinchConnector,
  appleMspConnector,
  webhookConnector,
]);

/** A CRM lookup before rendering (docs/configuration.md#crm-enrichment). */
const enrichment = z.strictObject({
  request: z.strictObject({
    /** GET sends `params` in the query string, POST as a JSON body. @defaultValue GET */
    method: z.enum(['GET', 'POST']).default('GET'),
    /** With placeholders. @defaultValue required */
    url: z.string().min(1),
    /** `{type: basic, username, password}` or `{type: bearer, token}`. @defaultValue absent */
    authentication: z
      .discriminatedUnion('type', [
        z.strictObject({ type: z.literal('basic'), username: z.string(), password: secret }),
        z.strictObject({ type: z.literal('bearer'), token: secret }),
      ])
      .optional(),
    /** With placeholders. @defaultValue absent */
    headers: z.record(z.string(), z.string()).optional(),
    /** With placeholders. @defaultValue absent */
    params: z.record(z.string(), z.string()).optional(),
  }),
  response: z.strictObject({
    /** Group (`CustomProperties` or `UserData`) → name → response path. @defaultValue required */
    save: z.record(z.string(), z.record(z.string(), z.string())),
  }),
  /** Milliseconds the lookup may take. @defaultValue 800 */
  timeoutMs: z.number().int().positive().default(800),
  /** Seconds an answer is reused; 0: no cache. @defaultValue 300 */
  cacheSeconds: z.number().int().min(0).default(300),
  /** `refuse`: fault 1023 (HTTP 502) when the lookup fails. @defaultValue continue */
  onFailure: z.enum(['continue', 'refuse']).default('continue'),
});

const channel = z.strictObject({
  /** What `_umsChannel` names; letters, digits, `.`, `-`, `_`, up to 64. @defaultValue required */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, dot, dash or underscore'),
  /** @defaultValue required */
  type: z.enum(['whatsapp', 'apple', 'sms']),
  /** The business numbers / ids a `_umsBusinessId` may name. @defaultValue required */
  businessIds: z.array(z.string().min(1)).min(1),
  /** The default chat queue, `<tenant-id>:<endpoint>`, of the same tenant. @defaultValue required */
  inboundRouteByCall: z.string().regex(CHAT_QUEUE_KEY, 'must be <tenant-id>:<chat endpoint name>'),
  /** How messages are sent. @defaultValue required */
  connector,
  /** Sends per second for each business id of the channel, across all workers. @defaultValue 80 */
  rateLimit: z.strictObject({ perSecond: z.number().positive().default(80) }).default({ perSecond: 80 }),
  /** At most `max` invites per recipient per `windowSeconds` (fault 1022). @defaultValue absent: no cap */
  perRecipient: z.strictObject({ max: z.number().int().positive(), windowSeconds: z.number().int().positive() }).optional(),
  /** User-data keys masked in session views, beside `PhoneNumber`. @defaultValue [] */
  contactIdKeys: z.array(z.string().min(1)).default([]),
  /** WhatsApp: allow `text` standard responses (they reach only customers inside the 24 h window). @defaultValue false */
  allowFreeText: z.boolean().default(false),
  /** Apple: allow phone numbers as `_umsClientId` (Apple-approved invitations). @defaultValue false */
  appleInvitations: z.boolean().default(false),
  /** A CRM lookup before rendering. @defaultValue absent: no lookup */
  enrichment: enrichment.optional(),
  /** Inbound texts (trimmed, any case) that suppress the customer on this channel. @defaultValue STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT */
  optOutKeywords: z.array(z.string().min(1).max(64)).default(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT']),
  /** Inbound texts that lift a customer's opt-out. @defaultValue START, UNSTOP */
  optInKeywords: z.array(z.string().min(1).max(64)).default(['START', 'UNSTOP']),
  /** Sent once to a customer who opts out (inside the service window they just opened), up to 1,024 characters. @defaultValue absent: no reply */
  optOutReply: z.string().min(1).max(1_024).optional(),
});

const tenant = z.strictObject({
  /** The tenant number, the `<tenant-id>` of chat queue keys. @defaultValue required */
  id: z.number().int().nonnegative(),
  /** Its API keys; each belongs to one tenant. @defaultValue required */
  apiKeys: z.array(secret).min(1),
  /** @defaultValue absent: no status events */
  statusWebhook: statusWebhook.optional(),
  /** @defaultValue required */
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
