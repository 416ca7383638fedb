import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryQueueWatch } from '../support/delivery-queue.js';
import { FakeWhatsApp } from '../support/fake-whatsapp.js';
import { eventually, startTestGateway, TENANT1_KEY, testConfig, WA_BUSINESS_ID, type TestGateway } from '../support/gateway.js';

/**
 * Issue 15.6: a campaign is `running` until every row is settled, so pause, resume and cancel act
 * on sends still queued behind the number's pace (docs/protocol.md#campaigns).
 */
const ROWS = 200;
const RATE = 20;
const auth = { authorization: `Bearer ${TENANT1_KEY}` };

interface Status {
  state: string;
  counts: Record<'waiting' | 'pending' | 'sent' | 'delivered' | 'read' | 'failed' | 'refused' | 'duplicate', number>;
}

describe('a campaign paced at 20/s stays running until every row is settled', () => {
  const fake = new FakeWhatsApp('settling-token');
  let gateway: TestGateway;

  beforeAll(async () => {
    await fake.start();
    const config = testConfig();
    const channel = config.tenants[0]!.channels[0]!;
    channel.rateLimit = { perSecond: RATE };
    channel.connector = fake.connector('PNID-SETTLE');
    gateway = await startTestGateway({ label: 'campaign-settling', config });
  });
  afterAll(async () => {
    await gateway?.dispose();
    await fake.stop();
  });

  const api = () => request(gateway.app!);
  const statusOf = async (id: string) => (await api().get(`/campaigns/${id}`).set(auth)).body as Status;
  const sendsOf = (tag: string) => fake.received.filter((send) => JSON.stringify(send.body).includes(tag)).length;

  async function upload(tag: string): Promise<string> {
    const recipients = Array.from({ length: ROWS }, (_, i) => ({ _umsClientId: `+1555${tag === 'P' ? 7 : 8}00${String(i).padStart(4, '0')}`, CustomProperties: { OrderId: `${tag}-${i}` } }));
    const response = await api()
      .post('/campaigns')
      .set(auth)
      .send({ name: `paced-${tag}`, parameters: { _umsChannel: 'whatsapp-main', _umsBusinessId: WA_BUSINESS_ID, StandardResponseId: 'order_ready', CustomProperties: { Track: `track-${tag}` } }, UserData: { StoreName: 'X' }, recipients });
    expect(response.status, response.text).toBe(202);
    return response.body.campaignId as string;
  }

  it('pause 1.5 s in holds every queued send, resume sends the rest, and done comes only with the last settled row', async () => {
    const id = await upload('P');
    const seen: Status[] = [];
    const watch = async () => {
      const status = await statusOf(id);
      seen.push(status);
      return status;
    };
    // Every row made into an invite while most sends still wait for the number's pace: the old
    // `done` moment. The campaign must still be running then.
    const allInvites = await eventually(async () => {
      const status = await watch();
      return status.counts.waiting === 0 ? status : undefined;
    }, 5_000, 'every row made into an invite');
    expect(allInvites.counts.pending).toBeGreaterThan(100);
    expect(allInvites.state).toBe('running');

    await eventually(async () => (sendsOf('P-') >= 1.5 * RATE ? true : undefined), 5_000, '1.5 s of sends');
    const paused = await api().post(`/campaigns/${id}/pause`).set(auth);
    expect(paused.status, paused.text).toBe(200);
    expect(paused.body.state).toBe('paused');

    // Sends a worker began before the pause may still go; then every queued one is held, and held
    // again when looked at again (conditions, not sleeps: a loaded machine only takes longer).
    const queue = new DeliveryQueueWatch(gateway.redis, gateway.prefix);
    const { held: atPause, later } = await queue.sendsAroundHold(Date.now(), () => sendsOf('P-'));
    await queue.close();
    expect(later).toBe(atPause);
    expect(atPause).toBeLessThan(ROWS);
    const whilePaused = await watch();
    expect(whilePaused.state).toBe('paused');
    expect(whilePaused.counts.pending).toBe(ROWS - atPause);

    const resumed = await api().post(`/campaigns/${id}/resume`).set(auth);
    expect(resumed.status, resumed.text).toBe(200);
    expect(resumed.body.state).toBe('running');
    expect((await watch()).state).toBe('running');

    const final = await eventually(async () => {
      const status = await watch();
      return status.state === 'done' ? status : undefined;
    }, 30_000, 'the campaign to be done');
    expect(final.counts).toMatchObject({ waiting: 0, pending: 0, sent: ROWS });
    expect(sendsOf('P-')).toBe(ROWS);
    // Every status seen: done never while a row was unsettled, and the states in their order.
    for (const status of seen) if (status.state === 'done') expect(status.counts.waiting + status.counts.pending).toBe(0);
    const states = seen.map((status) => status.state).filter((state, i, all) => state !== all[i - 1]);
    expect(states).toEqual(['running', 'paused', 'running', 'done']);
    const doneAgain = await api().post(`/campaigns/${id}/cancel`).set(auth);
    expect(doneAgain.status).toBe(409);
  });

  it('cancel while sends are queued ends the rest unsent', async () => {
    const id = await upload('C');
    await eventually(async () => ((await statusOf(id)).counts.waiting === 0 ? true : undefined), 5_000, 'every row made into an invite');
    await eventually(async () => (sendsOf('C-') >= 10 ? true : undefined), 5_000, 'the first sends');
    const cancelled = await api().post(`/campaigns/${id}/cancel`).set(auth);
    expect(cancelled.status, cancelled.text).toBe(200);
    expect(cancelled.body.state).toBe('cancelled');

    // Sends a worker began before the cancel may still go; then every queued invite ends unsent.
    const queue = new DeliveryQueueWatch(gateway.redis, gateway.prefix);
    const { ended: atCancel, later } = await queue.sendsAroundEnd(Date.now(), () => sendsOf('C-'));
    await queue.close();
    expect(later).toBe(atCancel);
    expect(atCancel).toBeLessThan(ROWS);
    const status = await statusOf(id);
    expect(status.state).toBe('cancelled');
    // Rows keep their state: those never handed to the provider are not counted as sent.
    expect(status.counts.sent).toBe(atCancel);
    expect(status.counts.pending).toBe(ROWS - atCancel);
    expect((await api().post(`/campaigns/${id}/resume`).set(auth)).status).toBe(409);
  });
});
