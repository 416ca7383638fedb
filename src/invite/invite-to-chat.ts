import { setTimeout as sleep } from 'node:timers/promises';
import type { GatewayConfig, TenantConfig } from '../config/schema.js';
import { checkColdStart, isPolicyOutcome, policyRefusal, sessionLimits } from '../delivery/channel-policy.js';
import { fault } from '../esp/faults.js';
import { getEntry, isKvList, scalarToString } from '../esp/kvlist.js';
import type { EspRequest } from '../esp/model.js';
import { DRY_RUN_SESSION_ID, type SessionIdGenerator } from '../sessions/session-id.js';
import type { CreateOutcome, IdempotencyClaim } from '../sessions/session-store.js';
import type { CampaignRowRef, NewSession } from '../sessions/session.js';
import type { StandardResponseCatalog } from '../templates/catalog.js';
import { renderStandardResponse } from '../templates/render.js';
import type { RenderedMessage } from '../templates/types.js';
import type { InviteCommand } from './invite-command.js';
import type { InviteStorage } from './ports.js';
import { hashIdempotencyKey, requestFingerprint } from './request-fingerprint.js';
import { validateInvite } from './validate-invite.js';
import type { Enricher } from '../enrichment/enricher.js';
import { DoubtfulInvites } from './doubtful-invites.js';
import { cloneKvList, type KvList } from '../esp/kvlist.js';

/** `Interaction.DateCreated` in a dry run, so renders compare across runs (docs/protocol.md#dry-run). */
const DRY_RUN_CREATED_AT = '1970-01-01T00:00:00Z';

/** How often a request waits for a concurrent one with its idempotency key to be confirmed, ms. */
const INFLIGHT_RECHECK_MS = 10;

/** How long a caller should wait before retrying after 1050, seconds. */
const RETRY_AFTER_SECONDS = 5;

export interface InviteOptions {
  tenant: TenantConfig;
  dryRun: boolean;
  /** The `Idempotency-Key` header; `UserData.IdempotencyKey` is used when absent. */
  idempotencyKey?: string;
  /** A campaign row: its delivery job yields to single invites, and its session names the row. */
  campaign?: CampaignRowRef;
  /** Skip the channel's CRM lookup (a dry run of made-up values, where a lookup would be wasted). */
  withoutEnrichment?: boolean;
}

export type InviteResult =
  | { kind: 'created' | 'replayed'; sessionId: string }
  | { kind: 'dryRun'; rendered: string | null };

export interface InviteDependencies {
  config: GatewayConfig;
  catalog: StandardResponseCatalog;
  /** Sessions and their delivery jobs (Redis and BullMQ, wired in gateway.ts). */
  storage: InviteStorage;
  ids: SessionIdGenerator;
  /** CRM lookups of channels with `enrichment`; without it such channels are not enriched. */
  enricher?: Enricher;
  /** Told when a lookup failed and the channel goes on without the data (for the log). */
  onEnrichmentFailure?: (channel: string, reason: string) => void;
  /** Withdraws invites answered with a fault whose writes may have landed; one of its own when absent. */
  doubtful?: DoubtfulInvites;
}

/**
 * The InviteToChat use case: validate, render, then create the session and its delivery job in
 * Redis. It answers only after both are stored; an invite it answered is never lost.
 */
export class InviteToChat {
  private readonly doubtful: DoubtfulInvites;

  constructor(private readonly deps: InviteDependencies) {
    this.doubtful = deps.doubtful ?? new DoubtfulInvites({ withdraw: (session) => deps.storage.withdraw(session) });
  }

  async invite(request: EspRequest, options: InviteOptions): Promise<InviteResult> {
    const validated = validateInvite(request, options.tenant);
    const command = options.withoutEnrichment ? validated : await this.enrich(validated);
    const sessionId = options.dryRun ? DRY_RUN_SESSION_ID : this.deps.ids.next();
    const createdAt = options.dryRun ? DRY_RUN_CREATED_AT : new Date().toISOString();
    const rendered = this.render(command, sessionId, createdAt);
    checkColdStart(command.channel, command.clientId);
    if (options.dryRun) return { kind: 'dryRun', rendered: rendered ? renderedAsString(rendered) : null };

    const session = newSession(command, sessionId, createdAt, options.campaign);
    const idempotency = this.idempotencyClaim(request, command, options.idempotencyKey);
    return this.store(session, command, rendered, idempotency);
  }

  /**
   * The channel's CRM lookup (docs/protocol.md#enrichment), before rendering, in dry runs too (a lookup only reads,
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
    return renderStandardResponse(this.deps.catalog.require(id), {
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
      connectorKind: command.channel.connector.kind,
    });
  }

  private idempotencyClaim(request: EspRequest, command: InviteCommand, header?: string): IdempotencyClaim | undefined {
    const fromUserData = getEntry(command.userData, 'IdempotencyKey');
    const key = header || (fromUserData === undefined || isKvList(fromUserData) ? '' : scalarToString(fromUserData));
    if (!key) return undefined;
    return { keyHash: hashIdempotencyKey(key), requestHash: requestFingerprint(request) };
  }

  /**
   * Writes the session and its delivery job, then confirms the session, and answers success only
   * when the confirmation came back. The session and the job leave together on one connection
   * (Redis runs them in that order), the confirmation once both answered. A session is sent only
   * once confirmed, and a confirmation counts only before its deadline (half the command timeout):
   * so when Redis is paused or stalled and the caller is answered 1050, the writes that land later
   * never become a send. Where a write may have landed but its answer was lost, the session is
   * also withdrawn as soon as Redis answers again (`DoubtfulInvites`).
   */
  private async store(session: NewSession, command: InviteCommand, rendered: RenderedMessage | null, idempotency?: IdempotencyClaim, startedAt = Date.now()): Promise<InviteResult> {
    const { config, storage } = this.deps;
    const limits = sessionLimits(command.channel, config.limits);
    const [created, added] = await Promise.allSettled([storage.createSession(session, limits, idempotency), storage.enqueueDelivery(session, rendered)]);
    if (created.status === 'rejected') {
      // The create may have run without its answer reaching us: never let it be sent.
      this.doubtful.add(session);
      throw unavailable(created.reason);
    }
    const outcome = created.value;
    if (outcome.kind !== 'created') {
      if (added.status === 'fulfilled') await storage.dropDelivery(session.sessionId).catch(() => undefined);
      // A concurrent request with the same idempotency key is being confirmed: its answer is ours.
      if (outcome.kind === 'inflight' && Date.now() - startedAt < limits.confirmWithinMs) {
        await sleep(INFLIGHT_RECHECK_MS);
        return this.store(session, command, rendered, idempotency, startedAt);
      }
      return this.notCreated(outcome, session, command);
    }
    if (added.status === 'rejected') {
      this.doubtful.add(session);
      throw unavailable(added.reason);
    }
    return this.confirm(session);
  }

  private async confirm(session: NewSession): Promise<InviteResult> {
    let confirmed: Awaited<ReturnType<InviteStorage['confirm']>>;
    try {
      confirmed = await this.deps.storage.confirm(session);
    } catch (error) {
      this.doubtful.add(session);
      throw unavailable(error);
    }
    // `late`/`nojob`: Redis ran the writes too late, or lost the job; the session is withdrawn.
    if (confirmed !== 'confirmed') throw unavailable(new Error(`session not confirmed: ${confirmed}`));
    return { kind: 'created', sessionId: session.sessionId };
  }

  private notCreated(outcome: Exclude<CreateOutcome, { kind: 'created' }>, session: NewSession, command: InviteCommand): InviteResult {
    if (isPolicyOutcome(outcome)) throw policyRefusal(outcome, command.channel);
    switch (outcome.kind) {
      case 'replayed':
        return { kind: 'replayed', sessionId: outcome.sessionId };
      case 'conflict':
        throw fault('idempotencyConflict', `the idempotency key was already used within 24 h for another request (session ${outcome.sessionId})`);
      case 'inflight':
        throw fault('unavailable', 'the first request with this idempotency key is still being stored: try again in a moment', { retryAfterSeconds: 1 });
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
