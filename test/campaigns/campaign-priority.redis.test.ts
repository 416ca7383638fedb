import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryQueueWatch } from '../support/delivery-queue.js';
import { eventually, startTestGateway, TENANT1_KEY, TEST_WORKER_CONCURRENCY, testConfig, WA_BUSINESS_ID, type TestGateway } from '../support/gateway.js';
import { FakeWhatsApp, sendsAheadOfPace } from '../support/fake-whatsapp.js';
import { jsonInvite } from '../support/invites.js';

/** Slow enough that a campaign builds a backlog of queued invites on the business number. */
const RATE = 40;
const RECIPIENTS = 1500;
const LIVE_CALLER = '+15557770001';
/** Sends watched for the number's pace: 2 s at RATE; at twice the rate they would run ahead by about 1 s. */
const PACE_SAMPLE = 80;

interface Counts {
  waiting: number;
  pending: number;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
}

describe('a campaign next to live calls', () => {
  const fake = new FakeWhatsApp('priority-token');
  let gateway: TestGateway;

  beforeAll(async () => {
    await fake.start();
    const config = testConfig();
    const channel = config.tenants[0]!.channels[0]!;
    channel.rateLimit = { perSecond: RATE };
    channel.connector = fake.connector({ [WA_BUSINESS_ID]: 'PNID-A' });
    gateway = await startTestGateway({ label: 'campaign-priority', config });
  });
  afterAll(async () => {
    await gateway?.dispose();
    await fake.stop();
  });

  const api = () => request(gateway.app!);
  const auth = { authorization: `Bearer ${TENANT1_KEY}` };
  const countsOf = async (id: string) => (await api().get(`/campaigns/${id}`).set(auth)).body as { state: string; counts: Counts };
  const campaignSends = () => fake.received.filter((send) => send.body.to !== LIVE_CALLER).length;

  it('delivers a live invite ahead of the campaign backlog, and cancel stops the rest', async () => {
    const recipients = Array.from({ length: RECIPIENTS }, (_, i) => ({ _umsClientId: `+1555400${String(i).padStart(4, '0')}`, CustomProperties: { OrderId: `C-${i}` } }));
    const upload = await api()
      .post('/campaigns')
      .set(auth)
      .send({ name: 'big', parameters: { _umsChannel: 'whatsapp-main', _umsBusinessId: WA_BUSINESS_ID, StandardResponseId: 'order_ready', CustomProperties: { Track: 'T' } }, UserData: { StoreName: 'Main St' }, recipients });
    expect(upload.status).toBe(202);
    const id = upload.body.campaignId as string;

    // Wait for a real backlog: many campaign invites queued on the number, waiting for their pace.
    const before = await eventually(
      async () => {
        const status = await countsOf(id);
        return status.counts.pending >= 150 ? status : undefined;
      },
      10_000,
      'a campaign backlog',
    );
    const sentBeforeLive = campaignSends();
    const paceFrom = Date.now();
    const sendsBeforePace = fake.received.length;

    const live = await api().post('/esp').set(auth).send(jsonInvite({ parameters: { _umsClientId: LIVE_CALLER } }));
    expect(live.status).toBe(200);
    await eventually(async () => (fake.sendsTo(LIVE_CALLER).length === 1 ? true : undefined), 10_000, 'the live invite to be sent');
    const campaignSentMeanwhile = campaignSends() - sentBeforeLive;

    // In arrival order, the live invite would wait for every queued campaign invite (≥ 150). It
    // overtakes them: only the sends already claimed by workers go before it.
    expect(campaignSentMeanwhile).toBeLessThan(before.counts.pending / 3);

    // Campaign and live sends share the number's pace, measured from a moment in the backlog: the
    // k-th send after it no sooner than k / RATE, but for the sends the worker had already begun.
    await eventually(async () => (fake.received.length >= sendsBeforePace + PACE_SAMPLE ? true : undefined), 15_000, 'sends to watch the pace of');
    expect(sendsAheadOfPace(fake.received.slice(sendsBeforePace), RATE, paceFrom, TEST_WORKER_CONCURRENCY)).toEqual([]);

    const cancel = await api().post(`/campaigns/${id}/cancel`).set(auth);
    expect(cancel.body.state).toBe('cancelled');
    const cancelledAt = Date.now();
    // Sends a worker began before the cancel may still go; then every queued invite ends unsent.
    const queue = new DeliveryQueueWatch(gateway.redis, gateway.prefix);
    const { ended: atCancel, later: sentAfterCancel } = await queue.sendsAroundEnd(cancelledAt, campaignSends);
    await queue.close();
    expect(sentAfterCancel).toBe(atCancel);
    expect(atCancel).toBeLessThan(RECIPIENTS);

    const after = await countsOf(id);
    expect(after.state).toBe('cancelled');
    // Rows never made into invites stay waiting; nothing was sent twice.
    expect(after.counts.waiting).toBeGreaterThan(0);
    expect(new Set(fake.received.map((send) => send.body.to)).size).toBe(fake.received.length);
    expect((await api().post(`/campaigns/${id}/resume`).set(auth)).status).toBe(409);
  });
});
