/**
 * Every Redis key the gateway writes, in one place. `prefix` is `REDIS_PREFIX`, so several
 * gateways (or test files) can share one Redis without seeing each other's data.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  session(sessionId: string): string {
    return `${this.prefix}:session:${sessionId}`;
  }

  sessionHistory(sessionId: string): string {
    return `${this.prefix}:session:${sessionId}:history`;
  }

  /** `idemKeyHash` is a hash of the caller's key, so a long or odd key is never a Redis key itself. */
  idempotency(tenant: number, idemKeyHash: string): string {
    return `${this.prefix}:idem:${tenant}:${idemKeyHash}`;
  }

  /** Invites of a tenant accepted and not yet taken by a worker (the queue limit counts these). */
  tenantBacklog(tenant: number): string {
    return `${this.prefix}:backlog:${tenant}`;
  }

  /** The chat queue stream of docs/protocol.md#chat-queues, consumed by routing with a consumer group. */
  chatQueue(tenant: number, endpoint: string): string {
    return `${this.prefix}:chatqueue:${tenant}:${endpoint}`;
  }

  /** Invites sent to one recipient on one channel in the current cap window (`perRecipient`). */
  recipientCount(tenant: number, channel: string, clientIdHash: string): string {
    return `${this.prefix}:recipient:${tenant}:${channel}:${clientIdHash}`;
  }

  /** The suppressed recipients of one channel (hashed client id to `{clientId, reason, at}`), for operators to list. */
  channelSuppressions(tenant: number, channel: string): string {
    return `${this.prefix}:suppressions:${tenant}:${channel}`;
  }

  /** Set when a recipient stopped marketing messages: later invites are refused at the door. */
  recipientSuppressed(tenant: number, channel: string, clientIdHash: string): string {
    return `${this.prefix}:suppressed:${tenant}:${channel}:${clientIdHash}`;
  }

  /**
   * Provider message id (WhatsApp wamid, …) of one channel to session id, for status webhooks. Scoped
   * by channel, so a report signed by one tenant's channel can never find another tenant's session
   * (and an id one channel's provider gives cannot displace another channel's).
   */
  providerMessage(tenant: number, channel: string, providerMessageId: string): string {
    return `${this.prefix}:providermsg:${tenant}:${channel}:${providerMessageId}`;
  }

  /** The unscoped index of earlier versions, still read (with an ownership check) until its keys expire. */
  legacyProviderMessage(providerMessageId: string): string {
    return `${this.prefix}:providermsg:${providerMessageId}`;
  }

  /** Set while a provider's report (message id, status) is remembered, so a replayed one changes nothing. */
  providerReportSeen(tenant: number, channel: string, providerMessageId: string, status: string): string {
    return `${this.prefix}:reportseen:${tenant}:${channel}:${status}:${providerMessageId}`;
  }

  /** Next free send slot of one business number (CLAIM_FOR_SEND in sessions/scripts.ts). */
  pacing(tenant: number, channel: string, businessId: string): string {
    return `${this.prefix}:pace:${tenant}:${channel}:${businessId}`;
  }

  /** Set when a channel is stopped (expired token, blocked account): `<credentials fingerprint>|<reason>`. */
  channelHold(tenant: number, channel: string): string {
    return `${this.prefix}:channelhold:${tenant}:${channel}`;
  }

  /** A campaign's record (name, tenant, state, shared parameters), and its other keys below. */
  campaign(campaignId: string): string {
    return `${this.prefix}:campaign:${campaignId}`;
  }

  /** Rows not yet made into invites, in file order (JSON `{row, data}`). */
  campaignQueue(campaignId: string): string {
    return `${this.prefix}:campaign:${campaignId}:queue`;
  }

  /** Row number to its state (JSON: state, masked-later client id, session id or fault). */
  campaignRows(campaignId: string): string {
    return `${this.prefix}:campaign:${campaignId}:rows`;
  }

  /** Rows per state: waiting, pending, sent, delivered, read, failed, refused, duplicate. */
  campaignCounts(campaignId: string): string {
    return `${this.prefix}:campaign:${campaignId}:counts`;
  }

  /** Recipients already in the campaign, so a repeated one is sent once. */
  campaignRecipients(campaignId: string): string {
    return `${this.prefix}:campaign:${campaignId}:recipients`;
  }

  /** Row numbers in one state (refused, failed, duplicate), for paging through them. */
  campaignRowsInState(campaignId: string, state: string): string {
    return `${this.prefix}:campaign:${campaignId}:in:${state}`;
  }

  /** Campaigns that were started or resumed, for the sweeper (`CampaignRunner.sweep`), which drops the ended ones. */
  runningCampaigns(): string {
    return `${this.prefix}:campaigns:running`;
  }

  /** Held by the one process advancing a campaign. */
  campaignLock(campaignId: string): string {
    return `${this.prefix}:campaign:${campaignId}:lock`;
  }

  /** A session's conversation: its messages after the invite, oldest first (JSON each). */
  sessionMessages(sessionId: string): string {
    return `${this.prefix}:session:${sessionId}:messages`;
  }

  /** A session's own events (same ids as in the tenant's events stream), served by `GET /sessions/:id/events`. */
  sessionEvents(sessionId: string): string {
    return `${this.prefix}:session:${sessionId}:events`;
  }

  /** Set once a provider's inbound message was recorded: a second delivery of it is a duplicate. */
  inboundSeen(tenant: number, channel: string, providerMessageIdHash: string): string {
    return `${this.prefix}:inbound:${tenant}:${channel}:${providerMessageIdHash}`;
  }

  /** The newest open session of one customer on one channel and business id (hashed): where their replies go. */
  customerSession(tenant: number, channel: string, businessAndClientHash: string): string {
    return `${this.prefix}:customer:${tenant}:${channel}:${businessAndClientHash}`;
  }

  /** An agent's answer by the provider's message id (one channel), for its status reports: `<sessionId>.<position>`. */
  outboundMessage(tenant: number, channel: string, providerMessageId: string): string {
    return `${this.prefix}:outmsg:${tenant}:${channel}:${providerMessageId}`;
  }

  /** Open sessions by their last activity (ms), for the idle sweeper (`limits.sessionIdleSeconds`). */
  sessionActivity(): string {
    return `${this.prefix}:activity`;
  }

  /** A tenant's conversation events (message.received, message.status, session.ended), for routing and desktops. */
  tenantEvents(tenant: number): string {
    return `${this.prefix}:events:${tenant}`;
  }

  /**
   * Counters of the send guarantees, shared by every process (`GET /metrics` reads them):
   * `withdrawnUnconfirmed`, `withdrawnAfterDoubt`, `refusedButSent`, `sendsAfterUnknownOutcome`.
   */
  deliveryStats(): string {
    return `${this.prefix}:stats:delivery`;
  }

  /** BullMQ's own prefix: its keys live under ours. */
  get bullPrefix(): string {
    return `${this.prefix}:bull`;
  }
}
