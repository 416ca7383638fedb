import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { eventually, gatewayOptions, startTestGateway, TENANT1_KEY, testConfig, type TestGateway } from '../support/gateway.js';
import { FakeWhatsApp, sendsAheadOfPace } from '../support/fake-whatsapp.js';
import { jsonInvite } from '../support/invites.js';

const RATE = 5;
const INVITES_PER_NUMBER = 15;
const NUMBERS = { '+15550001111': 'PNID-A', '+15550003333': 'PNID-B' } as const;

/**
 * The pace of a business number holds across every delivery worker on one Redis prefix: the
 * gateway here delivers and a second worker-only gateway on its prefix delivers too.
 */
describe('per-business-number pacing', () => {
  const fake = new FakeWhatsApp('pacing-token');
  let gateway: TestGateway;
  let secondWorker: Gateway;

  beforeAll(async () => {
    await fake.start();
    const config = testConfig();
    const channel = config.tenants[0]!.channels[0]!;
    channel.businessIds = Object.keys(NUMBERS);
    channel.rateLimit = { perSecond: RATE };
    channel.connector = fake.connector({ ...NUMBERS });
    gateway = await startTestGateway({ label: 'pacing', config });
    secondWorker = await createGateway(gatewayOptions({ redisPrefix: gateway.prefix, role: 'worker', config: parseConfig(config) }));
  });
  afterAll(async () => {
    await secondWorker?.close();
    await gateway?.dispose();
    await fake.stop();
  });

  it('each number sends within its own rate across two workers, and a busy number does not hold the other back', async () => {
    const sentBy = { first: 0, second: 0 };
    gateway.worker!.on('completed', () => sentBy.first++);
    secondWorker.worker!.on('completed', () => sentBy.second++);
    const started = Date.now();
    const invites = Object.keys(NUMBERS).flatMap((businessId, n) =>
      Array.from({ length: INVITES_PER_NUMBER }, (_, i) =>
        request(gateway.app!)
          .post('/esp')
          .set('Authorization', `Bearer ${TENANT1_KEY}`)
          .send(jsonInvite({ parameters: { _umsBusinessId: businessId, _umsClientId: `+1555${n}${String(100_000 + i)}` } })),
      ),
    );
    expect((await Promise.all(invites)).every((response) => response.status === 200)).toBe(true);
    await eventually(async () => (fake.received.length === 2 * INVITES_PER_NUMBER ? true : undefined), 15_000, 'all sends');
    // Both workers took part.
    expect(sentBy.first).toBeGreaterThan(0);
    expect(sentBy.second).toBeGreaterThan(0);

    for (const phoneNumberId of Object.values(NUMBERS)) {
      const sends = fake.received.filter((send) => send.phoneNumberId === phoneNumberId);
      expect(sends).toHaveLength(INVITES_PER_NUMBER);
      // The k-th send of a number no sooner than k / RATE after the invites were posted, whichever
      // worker sent it (were the pace kept per worker, the two would send at twice the rate).
      expect(sendsAheadOfPace(sends, RATE, started)).toEqual([]);
      // 15 sends at 5/s take about 2.8 s for each number; were the numbers paced together, the
      // later one would need about 5.8 s.
      const lastAt = Math.max(...sends.map((send) => send.at)) - started;
      expect(lastAt).toBeLessThan(((INVITES_PER_NUMBER - 1) / RATE) * 1_000 + 1_500);
    }
  });
});
