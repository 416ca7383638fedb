import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestGateway, TENANT1_KEY, testConfig, type TestGateway } from '../support/gateway.js';
import { FakeWhatsApp, sendsAheadOfPace, type ReceivedSend } from '../support/fake-whatsapp.js';
import { jsonInvite } from '../support/invites.js';
import { TEST_REDIS_URL } from '../support/redis.js';
import { scratchDirectory } from '../support/scratch.js';
import { startProcess, type StartedProcess } from '../support/start-process.js';

const RATE = 5;
const INVITES_PER_NUMBER = 20;
/** Two numbers of one channel, and a number of another channel that serves as the clock. */
const NUMBERS = [
  { channel: 'whatsapp-main', businessId: '+15550001111', phoneNumberId: 'PNID-A' },
  { channel: 'whatsapp-main', businessId: '+15550003333', phoneNumberId: 'PNID-B' },
  { channel: 'whatsapp-clock', businessId: '+15550004444', phoneNumberId: 'PNID-C' },
] as const;
const [FIRST, SECOND, CLOCK] = NUMBERS;
/**
 * By the time the clock number's send CLOCK_SENDS arrives, each number of the channel has sent at
 * most LAG_ALLOWED fewer. Paced on their own, all three keep about the same count (a loaded machine
 * slows all three alike); paced together, the two share one pace, so one of them has sent about
 * half of CLOCK_SENDS.
 */
const CLOCK_SENDS = 15;
const LAG_ALLOWED = 4;

/**
 * The pace of a business number holds across every delivery worker on one Redis prefix: the
 * gateway here delivers, and a second worker in its own process (GATEWAY_ROLE=worker, as deployed)
 * delivers too, so a pace kept per process would show as twice the rate.
 */
describe('per-business-number pacing', () => {
  const fake = new FakeWhatsApp('pacing-token');
  const directory = scratchDirectory('pacing');
  let gateway: TestGateway;
  let secondWorker: StartedProcess;

  beforeAll(async () => {
    await fake.start();
    const config = testConfig();
    const main = config.tenants[0]!.channels[0]!;
    const phoneNumberIds = Object.fromEntries(NUMBERS.map((number) => [number.businessId, number.phoneNumberId]));
    Object.assign(main, { businessIds: [FIRST.businessId, SECOND.businessId], rateLimit: { perSecond: RATE }, connector: fake.connector(phoneNumberIds) });
    config.tenants[0]!.channels.push({ ...main, name: CLOCK.channel, businessIds: [CLOCK.businessId] });
    gateway = await startTestGateway({ label: 'pacing', config });
    const configPath = join(directory, 'gateway.json');
    writeFileSync(configPath, JSON.stringify(config));
    secondWorker = startProcess({ GATEWAY_ROLE: 'worker', REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: gateway.prefix, GATEWAY_CONFIG: configPath, WORKER_CONCURRENCY: '10', LOG_LEVEL: 'info' });
    await secondWorker.waitFor(/invite-gateway worker running/);
  });
  afterAll(async () => {
    await secondWorker?.stop();
    await gateway?.dispose();
    await fake.stop();
  });

  const sendsOf = (number: (typeof NUMBERS)[number]): ReceivedSend[] => fake.received.filter((send) => send.phoneNumberId === number.phoneNumberId);

  it('each number sends within its own rate across two worker processes, and two busy numbers do not hold each other back', async () => {
    let sentHere = 0;
    gateway.worker!.on('completed', (_job, result) => void (result === 'sent' && sentHere++));
    const started = Date.now();
    // One invite per number at a time, so the three backlogs grow together (and a loaded machine
    // does not meet 60 requests at once with the request path's Redis timeout).
    for (let i = 0; i < INVITES_PER_NUMBER; i++) {
      const answers = await Promise.all(
        NUMBERS.map((number, n) =>
          request(gateway.app!)
            .post('/esp')
            .set('Authorization', `Bearer ${TENANT1_KEY}`)
            .send(jsonInvite({ parameters: { _umsChannel: number.channel, _umsBusinessId: number.businessId, _umsClientId: `+1555${n}${String(100_000 + i)}` } })),
        ),
      );
      expect(answers.map((answer) => [answer.status, answer.body.Request?.FaultCode])).toEqual(NUMBERS.map(() => [200, undefined]));
    }
    await eventually(async () => (fake.received.length === NUMBERS.length * INVITES_PER_NUMBER ? true : undefined), 30_000, 'all sends');
    // Both workers took part: once this process's worker has closed (its sends under way ended and
    // counted), every other send at the fake came from the second process.
    await gateway.worker!.close();
    expect(sentHere).toBeGreaterThan(0);
    expect(fake.received.length - sentHere).toBeGreaterThan(0);

    for (const number of NUMBERS) {
      // The k-th send of a number no sooner than k / RATE after the invites were posted, whichever
      // worker sent it (were the pace kept per process, the two would send at twice the rate).
      expect(sendsAheadOfPace(sendsOf(number), RATE, started)).toEqual([]);
    }
    // Counts, not seconds: by the clock number's send CLOCK_SENDS, each number of the channel kept up.
    const clockAt = sendsOf(CLOCK).map((send) => send.at).sort((a, b) => a - b)[CLOCK_SENDS - 1]!;
    const keptUp = [FIRST, SECOND].map((number) => sendsOf(number).filter((send) => send.at <= clockAt).length);
    expect(Math.min(...keptUp)).toBeGreaterThanOrEqual(CLOCK_SENDS - LAG_ALLOWED);
  });
});
