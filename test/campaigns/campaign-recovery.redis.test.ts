import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CampaignStore } from '../../src/campaigns/campaign-store.js';
import { parseConfig } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../src/redis/embedded.js';
import { RedisKeys } from '../../src/redis/keys.js';
import { eventually, gatewayOptions, TENANT1_KEY, testConfig, WA_BUSINESS_ID } from '../support/gateway.js';
import { scratchDirectory } from '../support/scratch.js';

type Counts = Record<'waiting' | 'pending' | 'sent' | 'delivered' | 'read' | 'refused' | 'failed' | 'duplicate', number>;

const USER_DATA = { StoreName: 'Main St' };
const PARAMETERS = { _umsChannel: 'whatsapp-main', _umsBusinessId: WA_BUSINESS_ID, StandardResponseId: 'order_ready', CustomProperties: { Track: 'T' } };
const recipients = (count: number, first: number) => Array.from({ length: count }, (_, i) => ({ _umsClientId: `+1555${String(first + i).padStart(7, '0')}`, CustomProperties: { OrderId: `R-${i}` } }));

/**
 * Campaigns must survive what Redis does in production: a pause longer than the gateway's command
 * timeout (a failover, a slow moment), and a process that dies between storing a campaign and
 * scheduling its first step. This file has a Redis of its own, as it pauses it.
 */
describe('a campaign when Redis or a process falters', () => {
  const redisDirectory = scratchDirectory('campaign-recovery');
  let redisServer: EmbeddedRedis;
  let gateway: Gateway;
  let redis: Redis;

  beforeAll(async () => {
    redisServer = await startEmbeddedRedis(redisDirectory);
    const config = testConfig();
    // Paced, so that a campaign of 1,500 takes a few seconds and its steps are running when Redis pauses.
    config.tenants[0]!.channels[0]!.rateLimit = { perSecond: 300 };
    gateway = await createGateway(gatewayOptions({ redisUrl: redisServer.url, redisPrefix: 'ig', config: parseConfig(config), campaignSweepMs: 300 }));
    redis = new Redis(redisServer.url);
  });
  afterAll(async () => {
    await gateway?.close().catch(() => undefined);
    redis?.disconnect();
    await redisServer?.stop();
  });

  const api = () => request(gateway.app!);
  const auth = { authorization: `Bearer ${TENANT1_KEY}` };
  const statusOf = async (id: string) => (await api().get(`/campaigns/${id}`).set(auth)).body as { state: string; counts: Counts };
  const settled = async (id: string) => {
    const status = await statusOf(id);
    return status.counts.waiting === 0 && status.counts.pending === 0 ? status : undefined;
  };
  const sessionCount = async () => (await redis.keys('ig:session:*')).filter((key) => /:session:\w+$/.test(key)).length;

  it('goes on after Redis stops taking writes for longer than the command timeout, and sends each recipient once', async () => {
    const upload = await api().post('/campaigns').set(auth).send({ name: 'paused-redis', parameters: PARAMETERS, UserData: USER_DATA, recipients: recipients(1_500, 1_000_000) });
    expect(upload.status).toBe(202);
    const id = upload.body.campaignId as string;
    await eventually(async () => ((await statusOf(id)).counts.pending >= 500 ? true : undefined), 10_000, 'campaign steps under way');

    // Twice, while steps run: writes wait 3 s, past the 2 s command timeout, so a step fails with 1050.
    for (let pause = 0; pause < 2; pause++) {
      await redis.call('CLIENT', 'PAUSE', '3000', 'WRITE');
      await new Promise((resolve) => setTimeout(resolve, 3_500));
    }

    const status = await eventually(() => settled(id), 60_000, 'every row settled');
    expect(status.counts.refused + status.counts.failed).toBe(0);
    expect(status.counts.sent + status.counts.delivered + status.counts.read).toBe(1_500);
    expect(await sessionCount()).toBe(1_500);
  }, 90_000);

  it('starts by itself when the process that stored it died before scheduling its first step', async () => {
    // What the upload route does, up to the kick of the first step: the process is gone after `start`.
    const store = new CampaignStore(redis, new RedisKeys('ig'), 3_600);
    const campaignId = 'LostFirstStep01';
    await store.create({ campaignId, name: 'orphan', tenant: 1, parameters: PARAMETERS, userData: USER_DATA, createdAt: new Date().toISOString() });
    const rows = recipients(50, 2_000_000).map((data, row) => ({ row: row + 1, clientId: data._umsClientId, data }));
    await store.appendRows(campaignId, rows);
    await store.start(campaignId, rows.length);
    const sessionsBefore = await sessionCount();

    const status = await eventually(() => settled(campaignId), 10_000, 'the orphan campaign to be sent');
    expect(status.counts.sent + status.counts.delivered + status.counts.read).toBe(50);
    expect(await sessionCount()).toBe(sessionsBefore + 50);
  });
});
