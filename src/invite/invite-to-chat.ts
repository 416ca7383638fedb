import type { Queue } from 'bullmq';
import type { GatewayConfig, TenantConfig } from '../config/schema.js';
import { deliveryJobOptions, type DeliveryJobData } from '../delivery/delivery-queue.js';
import { credentialsFingerprint } from '../config/credentials.js';
import { fault } from '../esp/faults.js';
import { getEntry, isKvList, scalarToString } from '../esp/kvlist.js';
import type { EspRequest } from '../esp/model.js';
import { DRY_RUN_SESSION_ID, type SessionIdGenerator } from '../sessions/session-id.js';
import type { CreateOutcome, IdempotencyClaim, SessionStore } from '../sessions/session-store.js';
import type { CampaignRowRef, NewSession } from '../sessions/session.js';
import type { StandardResponseCatalog } from '../templates/catalog.js';
import { renderStandardResponse } from '../templates/render.js';
import type { RenderedMessage } from '../templates/types.js';
import type { InviteCommand } from './invite-command.js';
import { hashIdempotencyKey, requestFingerprint } from './request-fingerprint.js';
import { checkChannelPolicy } from './channel-policy.js';
import { validateInvite } from './validate-invite.js';
import type { Enricher } from '../enrichment/enricher.js';
import { cloneKvList, type KvList } from '../esp/kvlist.js';

/** `Interaction.DateCreated` in a dry run, so renders compare across runs (domain.md 2.1). */
const DRY_RUN_CREATED_AT = '1970-01-01T00:00:00Z';

/** How long a caller should wait before retrying after 1050, seconds. */
const RETRY_AFTER_SECONDS = 5;

export interface InviteOptions {
  tenant: TenantConfig;
  dryRun: boolean;
  /** The `Idempotency-Key` header; `UserData.IdempotencyKey` is used when absent. */
  idempotencyKey?: string;
  /** A campaign row: its delivery job yields to single invites, and its session names the row. */
  campaign?: CampaignRowRef;
}

export type InviteResult =
  | { kind: 'created' | 'replayed'; sessionId: string }
  | { kind: 'dryRun'; rendered: string | null };

export interface InviteDependencies {
  config: GatewayConfig;
  catalog: StandardResponseCatalog;
  store: SessionStore;
  queue: Queue<DeliveryJobData>;
  ids: SessionIdGenerator;
  /** CRM lookups of channels with `enrichment`; without it such channels are not enriched. */
  enricher?: Enricher;
  /** Told when a lookup failed and the channel goes on without the data (for the log). */
  onEnrichmentFailure?: (channel: string, reason: string) => void;
}

/**
 * The InviteToChat use case: validate, render, then create the session and its delivery job in
 * Redis. It answers only after both are stored; an invite it answered is never lost.
 */
export class InviteToChat {
  constructor(private readonly deps: InviteDependencies) {}

  async invite(request: EspRequest, options: InviteOptions): Promise<InviteResult> {
    const command = await this.enrich(validateInvite(request, options.tenant));
    const sessionId = options.dryRun ? DRY_RUN_SESSION_ID : this.deps.ids.next();
    const createdAt = options.dryRun ? DRY_RUN_CREATED_AT : new Date().toISOString();
    const rendered = this.render(command, sessionId, createdAt);
    checkChannelPolicy(command);
    if (options.dryRun) return { kind: 'dryRun', rendered: rendered ? renderedAsString(rendered) : null };

    const session = newSession(command, sessionId, createdAt, options.campaign);
    const idempotency = this.idempotencyClaim(request, command, options.idempotencyKey);
    return this.store(session, command, rendered, idempotency);
  }

  /**
   * The channel's CRM lookup (domain.md 1.5), before rendering, in dry runs too (a lookup only reads,
   * and the render depends on it). Saved values fill `CustomProperties` and `UserData` keys the
   * request left empty: what the routing strategy sent wins over the CRM. A failed lookup refuses
   * the invite (1023) or lets it go on without the data, as the channel says.
   */
  private async enrich(command: InviteCommand): Promise<InviteCommand> {
    const enrichment = command.channel.enrichment;
    const enricher = this.deps.enricher;
    if (!enrichment || !enricher) return command;
    const result = await enricher.enrich(`${command.tenant.id}/${command.channel.name}`, enrichment, {
      clientId: command.clientId,
      contact: command.contact,
      userData: command.userData,
    });
    if (result.outcome === 'failed') {
      if (enrichment.onFailure === 'refuse') throw fault('enrichmentFailed', `the enrichment lookup of channel ${command.channel.name} failed: ${result.reason}`);
      this.deps.onEnrichmentFailure?.(command.channel.name, result.reason);
      return command;
    }
    return {
      ...command,
      customProperties: withDefaults(command.customProperties, result.saved.CustomProperties),
      userData: withDefaults(command.userData, result.saved.UserData),
    };
  }

  private render(command: InviteCommand, sessionId: string, createdAt: string): RenderedMessage | null {
    const id = command.standardResponseId;
    if (!id) return null;
    const standardResponse = this.deps.catalog.get(id);
    if (!standardResponse) throw fault('unknownStandardResponse', `StandardResponseId "${id}" is not a known standard response`);
    return renderStandardResponse(standardResponse, {
      channelType: command.channel.type,
      clientId: command.clientId,
      businessId: command.businessId,
      sessionId,
      createdAt,
      contact: command.contact,
      agent: command.agent,
      customProperties: command.customProperties,
      attachedData: command.userData,
      allowFreeText: command.channel.allowFreeText,
    });
  }

  private idempotencyClaim(request: EspRequest, command: InviteCommand, header?: string): IdempotencyClaim | undefined {
    const fromUserData = getEntry(command.userData, 'IdempotencyKey');
    const key = header || (fromUserData === undefined || isKvList(fromUserData) ? '' : scalarToString(fromUserData));
    if (!key) return undefined;
    return { keyHash: hashIdempotencyKey(key), requestHash: requestFingerprint(request) };
  }

  /**
   * Writes the session and its delivery job. Both commands leave together on one connection (Redis
   * runs them in that order), which saves a round trip on every invite; the rare outcomes where the
   * session is not created (replay, conflict, policy, backlog) drop the job again. A worker that
   * takes such a job first finds no session and skips it.
   */
  private async store(session: NewSession, command: InviteCommand, rendered: RenderedMessage | null, idempotency?: IdempotencyClaim): Promise<InviteResult> {
    const { config, store, queue } = this.deps;
    const limits = {
      backlogLimit: config.limits.queueLimitPerTenant,
      perRecipient: command.channel.perRecipient,
      credentialsFingerprint: credentialsFingerprint(command.channel.connector),
    };
    const campaignId = session.campaign?.campaignId;
    const job: DeliveryJobData = { sessionId: session.sessionId, tenant: session.tenant, channel: session.channel, businessId: session.businessId, rendered, ...(campaignId ? { campaignId } : {}) };
    const [created, added] = await Promise.allSettled([
      store.create(session, limits, idempotency),
      queue.add('invite', job, deliveryJobOptions(session.sessionId, config.retry, campaignId ? 'campaign' : 'live')),
    ]);
    const outcome = created.status === 'fulfilled' ? created.value : undefined;
    if (outcome?.kind === 'created') {
      if (added.status === 'fulfilled') return { kind: 'created', sessionId: session.sessionId };
      // No job means no delivery: take the session back so nothing half-created stays behind.
      await store.removeUnqueued(session, idempotency).catch(() => undefined);
      throw unavailable(added.reason);
    }
    if (added.status === 'fulfilled') await queue.remove(session.sessionId).catch(() => undefined);
    if (!outcome) throw unavailable(created.status === 'rejected' ? created.reason : undefined);
    return this.notCreated(outcome, session, command);
  }

  private notCreated(outcome: Exclude<CreateOutcome, { kind: 'created' }>, session: NewSession, command: InviteCommand): InviteResult {
    switch (outcome.kind) {
      case 'replayed':
        return { kind: 'replayed', sessionId: outcome.sessionId };
      case 'suppressed':
        throw fault('policyRefused', `the recipient stopped marketing messages on channel ${session.channel}: invites to them are refused`);
      case 'channelHeld':
        throw fault('policyRefused', `channel ${session.channel} is stopped (${outcome.reason}) until its credentials change or it is resumed`);
      case 'recipientLimited':
        throw fault('policyRefused', `the recipient already got ${command.channel.perRecipient?.max} invite(s) on channel ${session.channel} within ${command.channel.perRecipient?.windowSeconds} s (perRecipient)`);
      case 'conflict':
        throw fault('idempotencyConflict', `the idempotency key was already used within 24 h for another request (session ${outcome.sessionId})`);
      case 'backlogFull':
        throw fault('unavailable', `tenant ${session.tenant} has ${this.deps.config.limits.queueLimitPerTenant} invites waiting for delivery: try again later`, {
          retryAfterSeconds: RETRY_AFTER_SECONDS,
        });
    }
  }

}

function newSession(command: InviteCommand, sessionId: string, createdAt: string, campaign?: InviteOptions['campaign']): NewSession {
  return {
    ...(campaign ? { campaign } : {}),
    sessionId,
    tenant: command.tenant.id,
    channel: command.channel.name,
    channelType: command.channel.type,
    type: command.outbound ? 'Outbound' : 'Inbound',
    subtype: command.outbound ? 'OutboundNew' : 'InboundNew',
    chatQueueKey: command.chatQueueKey,
    terminate: command.terminate,
    clientId: command.clientId,
    businessId: command.businessId,
    standardResponseId: command.standardResponseId,
    createdAt,
    userData: command.userData,
  };
}

/** `Rendered` in a dry run: the provider body as a JSON string (an array when several are sent). */
function renderedAsString(rendered: RenderedMessage): string {
  return JSON.stringify(rendered.bodies.length === 1 ? rendered.bodies[0] : rendered.bodies);
}

function unavailable(error: unknown) {
  return fault('unavailable', 'the gateway cannot store the invite now (Redis is unavailable): try again later', {
    retryAfterSeconds: RETRY_AFTER_SECONDS,
    cause: error,
  });
}

/** A copy of `list` with `values` added under the keys it does not have (or has empty). */
function withDefaults(list: KvList, values: Record<string, string>): KvList {
  const merged = cloneKvList(list);
  for (const [key, value] of Object.entries(values)) if (!(key in merged) || merged[key] === '') merged[key] = value;
  return merged;
}
