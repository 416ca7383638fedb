import { randomUUID } from 'node:crypto';
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { TenantConfig } from '../config/schema.js';
import { EspFault, fault } from '../esp/faults.js';
import { cloneKvList, type KvList } from '../esp/kvlist.js';
import type { EspRequest } from '../esp/model.js';
import type { InviteToChat } from '../invite/invite-to-chat.js';
import type { CampaignRecord, CampaignRowData, CampaignStore } from './campaign-store.js';

export const CAMPAIGN_QUEUE_NAME = 'campaigns';

/** Rows made into invites per step. */
const BATCH_ROWS = 200;
/** Rows of a step made into invites at the same time (each invite is a few Redis round trips). */
const ROWS_AT_ONCE = 20;
/**
 * Campaign invites waiting for their send at most: sessions are created as sending makes room, so
 * a campaign never floods the delivery queue (a second or two of sends is queued at most).
 */
const IN_FLIGHT_WINDOW = 1_000;
const WAIT_FOR_ROOM_MS = 100;
const LOCK_MS = 60_000;

/**
 * A step that fails (Redis unreachable for a moment, a failover) is retried: 0.5 s, then twice as
 * long each time, 4 minutes in all. Steps that end or fail for good are removed, so their id can
 * be added again (see `kick`).
 */
const STEP_JOB = { attempts: 10, backoff: { type: 'exponential', delay: 500 }, removeOnComplete: true, removeOnFail: true } as const;
/** How often each API process looks for running campaigns whose steps stopped (see `sweep`). */
export const SWEEP_INTERVAL_MS = 30_000;

/**
 * Advances campaigns: each step turns the next rows into invites through the same use case as
 * `POST /esp` (validation, templates, policy, sessions), records each row's outcome, and schedules
 * the next step while the campaign runs. Steps are BullMQ jobs, so any worker process may run them.
 *
 * A campaign has one chain of steps: step n, under the campaign's lock, adds step n+1 with the job
 * id `step-<campaign>-<n+1>`. Adding the current step again is a no-op while it waits, runs or is
 * retried, which is what lets the sweeper restart a stopped chain without starting a second one.
 */
export class CampaignRunner {
  constructor(
    private readonly store: CampaignStore,
    private readonly inviteToChat: InviteToChat,
    private readonly tenantOf: (id: number) => TenantConfig | undefined,
    private readonly queue: Queue<{ campaignId: string }>,
  ) {}

  /** Makes sure the campaign's current step is scheduled (created, resumed, or found stopped by the sweeper). */
  async kick(campaignId: string): Promise<void> {
    await this.addStep(campaignId, await this.store.stepNumber(campaignId), 0);
  }

  async step(campaignId: string): Promise<void> {
    const owner = randomUUID();
    if (!(await this.store.lock(campaignId, owner, LOCK_MS))) return; // another process is on it
    try {
      const next = await this.advance(campaignId);
      if (next !== undefined) await this.addStep(campaignId, await this.store.nextStepNumber(campaignId), next);
    } finally {
      await this.store.unlock(campaignId, owner);
    }
  }

  /**
   * Restarts the steps of every running campaign whose chain stopped: its retries ran out while
   * Redis was away, or its job was lost. Re-adding a step that still exists changes nothing.
   * Campaigns seen done, cancelled or expired are dropped from the running set.
   */
  async sweep(): Promise<void> {
    for (const campaignId of await this.store.runningCampaigns()) {
      const state = await this.store.state(campaignId);
      if (state === 'running') await this.kick(campaignId);
      else if (state !== 'paused') await this.store.forgetRunning(campaignId);
    }
  }

  /** Sweeps every `intervalMs` until the returned function is called; a failed sweep is logged and tried again next time. */
  startSweeper(logger: Logger, intervalMs = SWEEP_INTERVAL_MS): () => void {
    const timer = setInterval(() => {
      this.sweep().catch((error: unknown) => logger.warn({ err: (error as Error).message }, 'campaign sweep failed; it runs again'));
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  private async addStep(campaignId: string, step: number, delayMs: number): Promise<void> {
    await this.queue.add('step', { campaignId }, { ...STEP_JOB, jobId: `step-${campaignId}-${step}`, delay: delayMs });
  }

  /** One step; returns the delay before the next one, or undefined when the campaign needs none. */
  private async advance(campaignId: string): Promise<number | undefined> {
    const campaign = await this.store.get(campaignId);
    if (!campaign || campaign.state !== 'running') return undefined;
    const room = IN_FLIGHT_WINDOW - campaign.counts.pending;
    if (room <= 0) return WAIT_FOR_ROOM_MS;
    const rows = await this.store.nextRows(campaignId, Math.min(room, BATCH_ROWS));
    if (rows.length === 0) {
      // Every row is an invite: the campaign is `done` when the last of them settles (the store
      // moves it with that row's report); only a campaign with nothing to settle ends here.
      await this.store.finishIfSettled(campaignId);
      return undefined;
    }
    const tenant = this.tenantOf(campaign.tenant);
    for (let start = 0; start < rows.length; start += ROWS_AT_ONCE) {
      const slice = rows.slice(start, start + ROWS_AT_ONCE);
      await settleAll(slice.map(({ row, data }) => this.inviteRow(campaign, tenant, row, data)));
    }
    await this.store.dropSent(campaignId, rows.length);
    return 0;
  }

  private async inviteRow(campaign: CampaignRecord, tenant: TenantConfig | undefined, row: number, data: CampaignRowData): Promise<void> {
    const clientId = data._umsClientId ?? '';
    if (!tenant) return this.refuseRow(campaign, row, fault('unauthenticated', `tenant ${campaign.tenant} is no longer configured`));
    try {
      const result = await this.inviteToChat.invite(rowRequest(campaign, data), {
        tenant,
        dryRun: false,
        // A step run twice (after a crash) finds the row's session instead of sending again.
        idempotencyKey: `campaign:${campaign.campaignId}:${row}`,
        campaign: { campaignId: campaign.campaignId, row },
      });
      if (result.kind === 'dryRun') return;
      await this.store.recordRow(campaign.campaignId, row, { state: 'pending', sessionId: result.sessionId, clientId });
    } catch (error) {
      if (!(error instanceof EspFault) || error.faultName === 'unavailable') throw error; // Redis trouble: the step is retried
      await this.refuseRow(campaign, row, error);
    }
  }

  private async refuseRow(campaign: CampaignRecord, row: number, refusal: EspFault): Promise<void> {
    await this.store.recordRow(campaign.campaignId, row, { state: 'refused', FaultCode: refusal.faultCode, FaultString: refusal.message });
  }
}

/** Waits for every promise, then throws the first failure: no invite is left running after a step fails. */
async function settleAll(promises: Promise<void>[]): Promise<void> {
  const failed = (await Promise.allSettled(promises)).find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failed) throw failed.reason;
}

/** What every row of a campaign shares: the InviteToChat parameters and the campaign's `UserData`. */
export type CampaignShared = Pick<CampaignRecord, 'parameters' | 'userData'>;

/** A row as the InviteToChat request a routing strategy would send. */
export function rowRequest(campaign: CampaignShared, data: CampaignRowData): EspRequest {
  const shared = campaign.parameters;
  const customProperties = { ...((shared.CustomProperties as Record<string, string> | undefined) ?? {}), ...data.CustomProperties };
  const parameters: Record<string, unknown> = { ...shared, CustomProperties: customProperties };
  if (data._umsClientId !== undefined) parameters._umsClientId = data._umsClientId;
  if (data.Contact) parameters.Contact = data.Contact;
  if (data.Agent) parameters.Agent = data.Agent;
  return {
    request: campaignRequestList(parameters),
    userData: cloneKvList({ GCTI_Chat_SubmitAsOutbound: 'true', ...campaign.userData, ...data.UserData } as KvList),
  };
}

/** The `Request` list of a campaign's InviteToChat: its rows', and the one the upload checks first. */
export function campaignRequestList(parameters: Record<string, unknown>): KvList {
  return cloneKvList({ AppName: 'Campaign', Service: 'ChatService', Method: 'InviteToChat', Parameters: parameters } as KvList);
}

export function createCampaignQueue(connection: ConnectionOptions, prefix: string): Queue<{ campaignId: string }> {
  return new Queue(CAMPAIGN_QUEUE_NAME, { connection, prefix });
}

export function startCampaignWorker(runner: CampaignRunner, connection: ConnectionOptions, prefix: string, logger: Logger): Worker<{ campaignId: string }> {
  const worker = new Worker<{ campaignId: string }>(CAMPAIGN_QUEUE_NAME, (job) => runner.step(job.data.campaignId), { connection, prefix, concurrency: 4 });
  worker.on('failed', (job, error) => {
    const retried = job !== undefined && job.attemptsMade < (job.opts.attempts ?? 1);
    logger.warn({ campaignId: job?.data.campaignId, attempt: job?.attemptsMade, err: error.message }, retried ? 'campaign step failed; it is retried' : 'campaign step failed for good; the sweeper starts it again');
  });
  return worker;
}
