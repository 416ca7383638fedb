import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/keys.js';
import type { SessionChange } from '../sessions/session-store.js';
import {
  APPEND_ROWS,
  APPEND_ROWS_SIGNATURE,
  CHANGE_STATE,
  FINISH_IF_SETTLED,
  FINISH_IF_SETTLED_SIGNATURE,
  RECORD_ROW,
  RECORD_ROW_SIGNATURE,
  ROW_DELIVERY,
  ROW_DELIVERY_SIGNATURE,
  UNLOCK,
} from './scripts.js';

export type CampaignState = 'running' | 'paused' | 'cancelled' | 'done';

/** Row states: `waiting` (not yet an invite), the invite's delivery, or `refused` / `duplicate`. */
export const ROW_STATES = ['waiting', 'pending', 'sent', 'delivered', 'read', 'failed', 'refused', 'duplicate'] as const;
export type RowState = (typeof ROW_STATES)[number];

/** One recipient as uploaded: the ESP lists a row fills, by their ESP names. */
export interface CampaignRowData {
  _umsClientId?: string;
  Contact?: Record<string, string>;
  Agent?: Record<string, string>;
  CustomProperties?: Record<string, string>;
  UserData?: Record<string, string>;
}

export interface CampaignRecord {
  campaignId: string;
  name: string;
  tenant: number;
  state: CampaignState;
  total: number;
  /** The shared InviteToChat parameters (`_umsChannel`, `StandardResponseId`, default `CustomProperties` …). */
  parameters: Record<string, unknown>;
  userData: Record<string, string>;
  createdAt: string;
}

export interface RowRecord {
  row: number;
  clientId: string;
  state: RowState;
  sessionId?: string;
  FaultCode?: number;
  FaultString?: string;
  error?: string;
}

type ScriptedRedis = Redis & {
  igAppendRows(...args: (string | number)[]): Promise<number>;
  igRecordRow(...args: (string | number)[]): Promise<number>;
  igRowDelivery(...args: (string | number)[]): Promise<number>;
  igChangeCampaignState(...args: string[]): Promise<number>;
  igFinishIfSettled(...args: Array<string | number>): Promise<number>;
  igUnlockCampaign(lock: string, owner: string): Promise<number>;
};

/** Campaigns in Redis: the record, the queue of rows still to send, each row's state and the counts. */
export class CampaignStore {
  private readonly redis: ScriptedRedis;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
    private readonly ttlSeconds: number,
  ) {
    if (typeof (redis as unknown as Partial<ScriptedRedis>).igAppendRows !== 'function') {
      redis.defineCommand('igAppendRows', { numberOfKeys: APPEND_ROWS_SIGNATURE.numberOfKeys, lua: APPEND_ROWS });
      redis.defineCommand('igRecordRow', { numberOfKeys: RECORD_ROW_SIGNATURE.numberOfKeys, lua: RECORD_ROW });
      redis.defineCommand('igRowDelivery', { numberOfKeys: ROW_DELIVERY_SIGNATURE.numberOfKeys, lua: ROW_DELIVERY });
      redis.defineCommand('igFinishIfSettled', { numberOfKeys: FINISH_IF_SETTLED_SIGNATURE.numberOfKeys, lua: FINISH_IF_SETTLED });
      redis.defineCommand('igChangeCampaignState', { numberOfKeys: 2, lua: CHANGE_STATE });
      redis.defineCommand('igUnlockCampaign', { numberOfKeys: 1, lua: UNLOCK });
    }
    this.redis = redis as unknown as ScriptedRedis;
  }

  /** Stored first with state `uploading`: not run until `start`, so a half-uploaded file never sends. */
  async create(campaign: Omit<CampaignRecord, 'state' | 'total'>): Promise<void> {
    await this.redis
      .multi()
      .hset(this.keys.campaign(campaign.campaignId), {
        campaignId: campaign.campaignId,
        name: campaign.name,
        tenant: String(campaign.tenant),
        state: 'uploading',
        total: '0',
        parameters: JSON.stringify(campaign.parameters),
        userData: JSON.stringify(campaign.userData),
        createdAt: campaign.createdAt,
      })
      .expire(this.keys.campaign(campaign.campaignId), this.ttlSeconds)
      .exec();
  }

  /** Stores a batch of rows; returns how many were duplicates of recipients already in the campaign. */
  async appendRows(campaignId: string, rows: { row: number; clientId: string; data: CampaignRowData }[]): Promise<number> {
    return this.redis.igAppendRows(
      ...APPEND_ROWS_SIGNATURE.encode(
        {
          queueKey: this.keys.campaignQueue(campaignId),
          rowsKey: this.keys.campaignRows(campaignId),
          recipientsKey: this.keys.campaignRecipients(campaignId),
          countsKey: this.keys.campaignCounts(campaignId),
          duplicatesKey: this.keys.campaignRowsInState(campaignId, 'duplicate'),
        },
        { rowsJson: JSON.stringify(rows) },
      ),
    );
  }

  /** Every row is stored: the campaign may run. Keys get the campaign's time to live. */
  async start(campaignId: string, total: number): Promise<void> {
    const pipeline = this.redis.multi().hset(this.keys.campaign(campaignId), { state: 'running', total: String(total) }).sadd(this.keys.runningCampaigns(), campaignId);
    for (const key of this.allKeys(campaignId)) pipeline.expire(key, this.ttlSeconds);
    await pipeline.exec();
  }

  /** Campaigns started or resumed and not yet seen ended by the sweeper (paused ones included). */
  async runningCampaigns(): Promise<string[]> {
    return this.redis.smembers(this.keys.runningCampaigns());
  }

  /** The campaign ended (or expired): the sweeper no longer looks at it. */
  async forgetRunning(campaignId: string): Promise<void> {
    await this.redis.srem(this.keys.runningCampaigns(), campaignId);
  }

  /** The number of the campaign's current step job (0 before the first step ends). */
  async stepNumber(campaignId: string): Promise<number> {
    return Number((await this.redis.hget(this.keys.campaign(campaignId), 'step')) ?? 0);
  }

  /** Moves to the next step number; called under the campaign's lock only. */
  async nextStepNumber(campaignId: string): Promise<number> {
    return this.redis.hincrby(this.keys.campaign(campaignId), 'step', 1);
  }

  /** Drops a campaign whose upload failed half way. */
  async discard(campaignId: string): Promise<void> {
    await this.redis.del(...this.allKeys(campaignId));
  }

  async get(campaignId: string): Promise<(CampaignRecord & { counts: Record<RowState, number> }) | undefined> {
    const [record, counts] = await Promise.all([this.redis.hgetall(this.keys.campaign(campaignId)), this.redis.hgetall(this.keys.campaignCounts(campaignId))]);
    if (!record.state || record.state === 'uploading') return undefined;
    return {
      campaignId,
      name: record.name ?? '',
      tenant: Number(record.tenant),
      state: record.state as CampaignState,
      total: Number(record.total),
      parameters: JSON.parse(record.parameters ?? '{}') as Record<string, unknown>,
      userData: JSON.parse(record.userData ?? '{}') as Record<string, string>,
      createdAt: record.createdAt ?? '',
      counts: Object.fromEntries(ROW_STATES.map((state) => [state, Math.max(0, Number(counts[state] ?? 0))])) as Record<RowState, number>,
    };
  }

  async state(campaignId: string): Promise<CampaignState | undefined> {
    return ((await this.redis.hget(this.keys.campaign(campaignId), 'state')) ?? undefined) as CampaignState | undefined;
  }

  /** Moves the campaign to `to` if it is in one of `from`; false otherwise. */
  async changeState(campaignId: string, from: CampaignState[], to: CampaignState): Promise<boolean> {
    return (await this.redis.igChangeCampaignState(this.keys.campaign(campaignId), this.keys.runningCampaigns(), to, campaignId, ...from)) === 1;
  }

  /** The next rows to send, without taking them out (see `dropSent`). */
  async nextRows(campaignId: string, count: number): Promise<{ row: number; data: CampaignRowData }[]> {
    const items = await this.redis.lrange(this.keys.campaignQueue(campaignId), 0, count - 1);
    return items.map((item) => JSON.parse(item) as { row: number; data: CampaignRowData });
  }

  /** Takes the first `count` rows out of the queue once each has its outcome recorded. */
  async dropSent(campaignId: string, count: number): Promise<void> {
    await this.redis.ltrim(this.keys.campaignQueue(campaignId), count, -1);
  }

  async recordRow(campaignId: string, row: number, update: Partial<RowRecord> & { state: RowState }): Promise<void> {
    const listed = update.state === 'refused' ? this.keys.campaignRowsInState(campaignId, 'refused') : '';
    await this.redis.igRecordRow(
      ...RECORD_ROW_SIGNATURE.encode(
        { ...this.settlingKeys(campaignId), rowsKey: this.keys.campaignRows(campaignId), inStateKey: listed },
        { rowNumber: row, fieldsJson: JSON.stringify(update), campaignId },
      ),
    );
  }

  /** A campaign with nothing left to send or settle (no rows at all, say) becomes `done`; true if it did now. */
  async finishIfSettled(campaignId: string): Promise<boolean> {
    return (await this.redis.igFinishIfSettled(...FINISH_IF_SETTLED_SIGNATURE.encode(this.settlingKeys(campaignId), { campaignId }))) === 1;
  }

  /**
   * Mirrors a session's change into its campaign row, so the campaign's counts follow: a listener of
   * the session store. Sessions of no campaign, and `none` and `pending` (a row is `pending` from
   * its creation), move nothing.
   */
  async followSession(change: SessionChange): Promise<void> {
    if (!change.campaign || change.delivery === 'none' || change.delivery === 'pending') return;
    await this.recordDelivery(change.campaign.campaignId, change.campaign.row, change.delivery, change.error?.code ?? '');
  }

  /**
   * A campaign invite's delivery moved on (from the session's status). The row that settles last
   * moves the campaign to `done` in the same script.
   */
  async recordDelivery(campaignId: string, row: number, delivery: string, error: string): Promise<void> {
    await this.redis.igRowDelivery(
      ...ROW_DELIVERY_SIGNATURE.encode(
        { ...this.settlingKeys(campaignId), rowsKey: this.keys.campaignRows(campaignId), failedKey: this.keys.campaignRowsInState(campaignId, 'failed') },
        { rowNumber: row, delivery, errorMessage: error, campaignId },
      ),
    );
  }

  /** Rows in `state` (refused, failed or duplicate), in row order. */
  async rowsInState(campaignId: string, state: RowState, offset: number, limit: number): Promise<{ total: number; rows: RowRecord[] }> {
    const key = this.keys.campaignRowsInState(campaignId, state);
    const [total, numbers] = await Promise.all([this.redis.zcard(key), this.redis.zrange(key, String(offset), String(offset + limit - 1))]);
    const values = numbers.length > 0 ? await this.redis.hmget(this.keys.campaignRows(campaignId), ...numbers) : [];
    return { total, rows: values.filter((value): value is string => value !== null).map((value) => JSON.parse(value) as RowRecord) };
  }

  /** One process at a time advances a campaign; the lock expires if that process dies. */
  async lock(campaignId: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.keys.campaignLock(campaignId), owner, 'PX', ttlMs, 'NX')) === 'OK';
  }

  async unlock(campaignId: string, owner: string): Promise<void> {
    await this.redis.igUnlockCampaign(this.keys.campaignLock(campaignId), owner);
  }

  /** The keys every script that may settle the campaign takes: its counts, its record, the running set. */
  private settlingKeys(campaignId: string) {
    return { countsKey: this.keys.campaignCounts(campaignId), campaignKey: this.keys.campaign(campaignId), runningKey: this.keys.runningCampaigns() };
  }

  private allKeys(campaignId: string): string[] {
    return [
      this.keys.campaign(campaignId),
      this.keys.campaignQueue(campaignId),
      this.keys.campaignRows(campaignId),
      this.keys.campaignCounts(campaignId),
      this.keys.campaignRecipients(campaignId),
      ...['refused', 'failed', 'duplicate'].map((state) => this.keys.campaignRowsInState(campaignId, state)),
    ];
  }
}
