import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { CampaignStore } from '../../src/campaigns/campaign-store.js';
import { RedisKeys } from '../../src/redis/keys.js';
import { eventually, startTestGateway, TENANT1_KEY, WA_BUSINESS_ID, type TestGateway } from '../support/gateway.js';
import { DeliveryQueueWatch } from '../support/delivery-queue.js';
import { deleteKeys, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';

/** 310 rows: every 50th has a bad phone (1011), rows 60/120/180/240 lack OrderId (1021), 301-310 repeat rows 1-10. */
function campaignCsv(): string {
  const lines = ['_umsClientId,Contact.FirstName,CustomProperties.OrderId'];
  const phone = (i: number) => `+1555100${String(i).padStart(4, '0')}`;
  for (let i = 1; i <= 300; i++) lines.push(`${i % 50 === 0 ? `bad-${i}` : phone(i)},Ana ${i},${i % 60 === 0 && i % 50 !== 0 ? '' : `A-${i}`}`);
  for (let i = 1; i <= 10; i++) lines.push(`${phone(i)},Again,B-${i}`);
  return lines.join('\n') + '\n';
}

describe('notification campaigns', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ label: 'campaigns' });
  });
  afterAll(async () => {
    await gateway.dispose();
  });

  const api = () => request(gateway.app!);
  const auth = { authorization: `Bearer ${TENANT1_KEY}` };

  it('sends a CSV campaign through the InviteToChat rules and ends with exact counts and row faults', async () => {
    const query = new URLSearchParams({
      name: 'october',
      _umsChannel: 'whatsapp-main',
      _umsBusinessId: WA_BUSINESS_ID,
      StandardResponseId: 'order_ready',
      'CustomProperties.Track': 'T1',
      'UserData.StoreName': 'Main St',
    });
    const upload = await api().post(`/campaigns?${query}`).set(auth).set('content-type', 'text/csv').send(campaignCsv());
    expect(upload.status).toBe(202);
    expect(upload.body.rows).toBe(310);
    const id = upload.body.campaignId as string;

    const final = await eventually(
      async () => {
        const status = await api().get(`/campaigns/${id}`).set(auth);
        return status.body.state === 'done' && status.body.counts.read === 290 ? status.body : undefined;
      },
      30_000,
      'the campaign to be read by every valid recipient',
    );
    expect(final).toEqual({
      campaignId: id,
      name: 'october',
      state: 'done',
      total: 310,
      counts: { waiting: 0, pending: 0, sent: 0, delivered: 0, read: 290, failed: 0, refused: 10, duplicate: 10 },
    });

    const refused = await api().get(`/campaigns/${id}/rows?state=refused&limit=100`).set(auth);
    expect(refused.body.total).toBe(10);
    expect(refused.body.rows.map((r: { row: number; FaultCode: number }) => [r.row, r.FaultCode])).toEqual([
      [50, 1011], [60, 1021], [100, 1011], [120, 1021], [150, 1011], [180, 1021], [200, 1011], [240, 1021], [250, 1011], [300, 1011],
    ]);
    expect(refused.body.rows[1].FaultString).toMatch(/CustomProperties\.OrderId/);
    const duplicates = await api().get(`/campaigns/${id}/rows?state=duplicate`).set(auth);
    expect(duplicates.body.rows.map((r: { row: number }) => r.row)).toEqual([301, 302, 303, 304, 305, 306, 307, 308, 309, 310]);
    expect(duplicates.body.rows[0]._umsClientId).toBe('+*******0001');
  });

  it('refuses a campaign whose shared parameters are invalid, whole, with the ESP fault', async () => {
    const noTemplate = await api().post('/campaigns').set(auth).send({ name: 'x', parameters: { _umsChannel: 'whatsapp-main', _umsBusinessId: WA_BUSINESS_ID }, recipients: [] });
    expect(noTemplate.status).toBe(400);
    expect(noTemplate.body.Request.FaultCode).toBe(1010);
    const badColumn = await api()
      .post(`/campaigns?_umsChannel=whatsapp-main&_umsBusinessId=${encodeURIComponent(WA_BUSINESS_ID)}&StandardResponseId=order_ready`)
      .set(auth)
      .set('content-type', 'text/csv')
      .send('_umsClientId,Phone\n+15551230001,x\n');
    expect(badColumn.status).toBe(400);
    expect(badColumn.body.Request).toMatchObject({ FaultCode: 1001, FaultString: expect.stringMatching(/^CSV line 1 column 2: column "Phone" is not/) });
  });

  it('pauses: nothing more is sent until it resumes, then it finishes', async () => {
    const recipients = Array.from({ length: 120 }, (_, i) => ({ _umsClientId: `+1555200${String(i).padStart(4, '0')}`, CustomProperties: { OrderId: `P-${i}` } }));
    const upload = await api()
      .post('/campaigns')
      .set(auth)
      .send({ name: 'pausable', parameters: { _umsChannel: 'whatsapp-main', _umsBusinessId: WA_BUSINESS_ID, StandardResponseId: 'order_ready', CustomProperties: { Track: 'T' } }, UserData: { StoreName: 'X' }, recipients });
    const id = upload.body.campaignId as string;
    expect((await api().post(`/campaigns/${id}/pause`).set(auth)).body.state).toBe('paused');
    const pausedAt = Date.now();
    const sentOf = async () => {
      const { counts } = (await api().get(`/campaigns/${id}`).set(auth)).body as { counts: { sent: number; delivered: number; read: number; failed: number } };
      return counts.sent + counts.delivered + counts.read + counts.failed;
    };
    // Sends a worker began before the pause may still go. Rather than sleep, wait until every invite
    // still queued was taken since the pause and put back unsent: those sends have ended by then.
    const queue = new DeliveryQueueWatch(gateway.redis, gateway.prefix);
    const { held: atPause, later: sentMeanwhile } = await queue.sendsAroundHold(pausedAt, sentOf);
    await queue.close();
    expect(sentMeanwhile).toBe(atPause);
    expect(atPause).toBeLessThan(120);

    expect((await api().post(`/campaigns/${id}/resume`).set(auth)).body.state).toBe('running');
    await eventually(async () => ((await sentOf()) === 120 ? true : undefined), 30_000, 'the resumed campaign to finish');
  });
});

describe('campaign store', () => {
  const redis = new Redis(TEST_REDIS_URL);
  const prefix = uniquePrefix('campaign-store');
  const store = new CampaignStore(redis, new RedisKeys(prefix), 3_600);
  afterAll(async () => {
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  async function campaignWithRows(campaignId: string, rows: number): Promise<void> {
    await store.create({ campaignId, name: campaignId, tenant: 1, parameters: {}, userData: {}, createdAt: new Date().toISOString() });
    await store.appendRows(campaignId, Array.from({ length: rows }, (_, i) => ({ row: i + 1, clientId: `+1555300000${i}`, data: {} })));
    await store.start(campaignId, rows);
  }

  it('counts a send reported before its row was marked pending, once', async () => {
    await campaignWithRows('race', 2);
    // A fast provider: the worker reports the send before the step records the session.
    await store.recordDelivery('race', 1, 'sent', '');
    await store.recordRow('race', 1, { state: 'pending', sessionId: 'S-1', clientId: '+15553000000' });
    await store.recordRow('race', 2, { state: 'pending', sessionId: 'S-2', clientId: '+15553000001' });
    const campaign = await store.get('race');
    expect(campaign?.counts).toMatchObject({ waiting: 0, pending: 1, sent: 1 });
    const row = JSON.parse((await redis.hget(new RedisKeys(prefix).campaignRows('race'), '1'))!);
    expect(row).toMatchObject({ state: 'sent', sessionId: 'S-1' });
  });

  it('frees a campaign lock only for the process that holds it', async () => {
    expect(await store.lock('locked', 'step-a', 60_000)).toBe(true);
    expect(await store.lock('locked', 'step-b', 60_000)).toBe(false);
    // A step that outlived its lock (and lost it to step-a) must not free step-a's.
    await store.unlock('locked', 'step-b');
    expect(await store.lock('locked', 'step-c', 60_000)).toBe(false);
    await store.unlock('locked', 'step-a');
    expect(await store.lock('locked', 'step-c', 60_000)).toBe(true);
  });

  it('keeps started and resumed campaigns in the set the sweeper looks at', async () => {
    await campaignWithRows('swept', 1);
    expect(await store.runningCampaigns()).toContain('swept');
    // The sweeper dropped it (seen paused long ago, say); a resume puts it back, a refused change does not.
    expect(await store.changeState('swept', ['running'], 'paused')).toBe(true);
    await store.forgetRunning('swept');
    expect(await store.changeState('swept', ['running'], 'done')).toBe(false);
    expect(await store.runningCampaigns()).not.toContain('swept');
    expect(await store.changeState('swept', ['paused'], 'running')).toBe(true);
    expect(await store.runningCampaigns()).toContain('swept');
  });

  it('lets only one of two racing state changes win', async () => {
    await campaignWithRows('racing-states', 1);
    const [paused, cancelled] = await Promise.all([store.changeState('racing-states', ['running'], 'paused'), store.changeState('racing-states', ['running'], 'cancelled')]);
    expect([paused, cancelled].filter(Boolean)).toHaveLength(1);
    expect(await store.state('racing-states')).toBe(paused ? 'paused' : 'cancelled');
    expect(await store.changeState('racing-states', ['running'], 'done')).toBe(false);
  });

  it('becomes done in the step that settles its last row, not before, and a cancelled one stays cancelled', async () => {
    await campaignWithRows('settling', 3);
    await store.recordRow('settling', 1, { state: 'pending', sessionId: 'S-1', clientId: '+15553000000' });
    await store.recordRow('settling', 2, { state: 'refused', FaultCode: 1011, FaultString: 'x' });
    await store.recordRow('settling', 3, { state: 'pending', sessionId: 'S-3', clientId: '+15553000002' });
    expect(await store.finishIfSettled('settling')).toBe(false);
    await store.recordDelivery('settling', 1, 'sent', '');
    expect(await store.state('settling')).toBe('running');
    // Paused with one send left: that send's report ends the campaign (nothing is left to hold).
    expect(await store.changeState('settling', ['running'], 'paused')).toBe(true);
    await store.recordDelivery('settling', 3, 'failed', 'undeliverable');
    expect(await store.state('settling')).toBe('done');
    expect(await store.runningCampaigns()).not.toContain('settling');

    await campaignWithRows('refused-last', 1);
    await store.recordRow('refused-last', 1, { state: 'refused', FaultCode: 1021, FaultString: 'x' });
    expect(await store.state('refused-last')).toBe('done');

    await campaignWithRows('cancelled-then-sent', 1);
    await store.recordRow('cancelled-then-sent', 1, { state: 'pending', sessionId: 'S-9', clientId: '+15553000000' });
    expect(await store.changeState('cancelled-then-sent', ['running'], 'cancelled')).toBe(true);
    await store.recordDelivery('cancelled-then-sent', 1, 'sent', '');
    expect(await store.state('cancelled-then-sent')).toBe('cancelled');

    await campaignWithRows('empty', 0);
    expect(await store.finishIfSettled('empty')).toBe(true);
    expect(await store.state('empty')).toBe('done');
  });
});
