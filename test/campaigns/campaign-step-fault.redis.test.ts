import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CampaignRunner, createCampaignQueue } from '../../src/campaigns/campaign-runner.js';
import { CampaignStore } from '../../src/campaigns/campaign-store.js';
import { parseConfig } from '../../src/config/load.js';
import { EspFault, fault } from '../../src/esp/faults.js';
import type { InviteOptions, InviteResult, InviteToChat } from '../../src/invite/invite-to-chat.js';
import { RedisKeys } from '../../src/redis/keys.js';
import { testConfig, WA_BUSINESS_ID } from '../support/gateway.js';
import { deleteKeys, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';

const PARAMETERS = { _umsChannel: 'whatsapp-main', _umsBusinessId: WA_BUSINESS_ID, StandardResponseId: 'order_ready' };
const ROWS = [1, 2, 3].map((row) => ({ row, clientId: `+155512394${row}0`, data: { _umsClientId: `+155512394${row}0` } }));

/**
 * A campaign step whose invite meets Redis trouble (fault 1050) must fail, to be retried, and never
 * record the row as refused; a real refusal (here 1011) is recorded. The use case is replaced by a
 * port that fails exactly when told to, so the test does not wait for a Redis pause to meet a step.
 */
describe('a campaign step when an invite meets Redis trouble', () => {
  const prefix = uniquePrefix('campaign-1050');
  const keys = new RedisKeys(prefix);
  const tenant = parseConfig(testConfig()).tenants[0]!;
  let redis: Redis;
  let queue: Queue<{ campaignId: string }>;
  let store: CampaignStore;

  beforeAll(async () => {
    redis = new Redis(TEST_REDIS_URL);
    queue = createCampaignQueue(redis, keys.bullPrefix);
    store = new CampaignStore(redis, keys, 3_600);
  });
  afterAll(async () => {
    await queue?.close();
    await deleteKeys(redis, prefix);
    redis?.disconnect();
  });

  /** The invite use case as the runner sees it: row 2 meets Redis trouble while `redisDown`, row 3 is malformed. */
  function invitePort(state: { redisDown: boolean; calls: number[] }): InviteToChat {
    const invite = async (_request: unknown, options: InviteOptions): Promise<InviteResult> => {
      const row = options.campaign!.row;
      state.calls.push(row);
      if (row === 2 && state.redisDown) throw fault('unavailable', 'the gateway cannot store the invite now');
      if (row === 3) throw fault('malformedParameter', '_umsClientId "x" is not a phone number');
      return { kind: 'created', sessionId: `000000000000000${row}` };
    };
    return { invite } as unknown as InviteToChat;
  }

  it('fails the step (to be retried) without recording the row, and the retry invites it', async () => {
    const campaignId = 'RedisFaultStep01';
    await store.create({ campaignId, name: 'redis-fault', tenant: 1, parameters: PARAMETERS, userData: {}, createdAt: new Date().toISOString() });
    await store.appendRows(campaignId, ROWS);
    await store.start(campaignId, ROWS.length);
    const state = { redisDown: true, calls: [] as number[] };
    const runner = new CampaignRunner(store, invitePort(state), () => tenant, queue);

    const failed = await runner.step(campaignId).then(() => undefined, (error: unknown) => error);
    expect(failed).toBeInstanceOf(EspFault);
    expect((failed as EspFault).faultCode).toBe(1050);
    expect(state.calls).toContain(2);
    const afterFailure = await store.get(campaignId);
    expect(afterFailure!.counts.refused).toBe(1);
    expect((await store.rowsInState(campaignId, 'refused', 0, 10)).rows).toEqual([expect.objectContaining({ row: 3, FaultCode: 1011 })]);

    // Redis is back: the retried step invites row 2.
    state.redisDown = false;
    await runner.step(campaignId);
    const afterRetry = await store.get(campaignId);
    expect(afterRetry!.counts).toMatchObject({ waiting: 0, pending: 2, refused: 1 });
    expect((await store.rowsInState(campaignId, 'refused', 0, 10)).rows.map((row) => row.row)).toEqual([3]);
  });
});
