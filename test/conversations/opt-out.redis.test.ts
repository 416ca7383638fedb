import { createHmac } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whatsappMessages } from '../fixtures/whatsapp-inbound.js';
import { DeliveryQueueWatch } from '../support/delivery-queue.js';
import { FakeWhatsApp } from '../support/fake-whatsapp.js';
import { eventually, startTestGateway, TENANT1_KEY, TENANT2_KEY, testConfig, type TestGateway } from '../support/gateway.js';
import { jsonInvite } from '../support/invites.js';

const APP_SECRET = 'opt-out-app-secret';
const PHONE_NUMBER_ID = 'PNID-OPTOUT';
const REPLY = 'You will get no more messages from us. Send START to subscribe again.';

/** STOP and START from the customer, and the operator's view of suppressions. */
describe('opting out and in by keyword', () => {
  const fake = new FakeWhatsApp('opt-out-token');
  let gateway: TestGateway;

  beforeAll(async () => {
    await fake.start();
    const config = testConfig();
    const channel = config.tenants[0]!.channels[0]!;
    channel.connector = { ...fake.connector(PHONE_NUMBER_ID), appSecret: APP_SECRET };
    channel.optOutReply = REPLY;
    gateway = await startTestGateway({ label: 'opt-out', config });
  });
  afterAll(async () => {
    await gateway?.dispose();
    await fake.stop();
  });

  const invite = (clientId: string) => request(gateway.app!).post('/esp').set('X-Api-Key', TENANT1_KEY).send(jsonInvite({ parameters: { _umsClientId: clientId } }));
  const customerWrites = (from: string, id: string, text: string) => {
    const body = JSON.stringify(whatsappMessages(PHONE_NUMBER_ID, from, [{ id, type: 'text', text: { body: text } }]));
    const signature = `sha256=${createHmac('sha256', APP_SECRET).update(body).digest('hex')}`;
    return request(gateway.app!).post('/webhooks/whatsapp').set('Content-Type', 'application/json').set('X-Hub-Signature-256', signature).send(body);
  };

  it('STOP suppresses the customer: the next invite is 1022 naming the opt-out, and the reply is sent once', async () => {
    expect((await invite('+15551238001')).status).toBe(200);
    await eventually(async () => (fake.sendsTo('+15551238001').length === 1 ? true : undefined), 8_000, 'the invite sent');
    expect((await customerWrites('15551238001', 'wamid.OPT1', ' stop ')).body).toMatchObject({ applied: 1 });

    const refused = await invite('+15551238001');
    expect(refused.status).toBe(400);
    expect(refused.body.Request).toMatchObject({ FaultCode: 1022, FaultString: expect.stringMatching(/opted out .*opt-out keyword/) });
    await eventually(async () => (fake.sendsTo('+15551238001').some((send) => send.body.text?.body === REPLY) ? true : undefined), 8_000, 'the opt-out reply');

    // A second STOP changes nothing and is not answered again.
    await customerWrites('15551238001', 'wamid.OPT2', 'STOP');
    // A reply would be queued before the webhook answered: once the queue is empty, all were sent.
    const queue = new DeliveryQueueWatch(gateway.redis, gateway.prefix);
    await eventually(async () => ((await queue.unfinished()) === 0 ? true : undefined), 8_000, 'the delivery queue to drain');
    await queue.close();
    expect(fake.sendsTo('+15551238001').filter((send) => send.body.text?.body === REPLY)).toHaveLength(1);
  });

  it('START lifts the opt-out: invites go out again', async () => {
    await customerWrites('15551238002', 'wamid.OPT3', 'STOP');
    expect((await invite('+15551238002')).status).toBe(400);
    await customerWrites('15551238002', 'wamid.OPT4', 'Start');
    expect((await invite('+15551238002')).status).toBe(200);
  });

  it('an operator lists suppressions masked, lifts one, and sees no other tenant channel', async () => {
    await customerWrites('15551238003', 'wamid.OPT5', 'UNSUBSCRIBE');
    const listed = await request(gateway.app!).get('/suppressions/whatsapp-main').set('X-Api-Key', TENANT1_KEY);
    expect(listed.status).toBe(200);
    expect(listed.body.suppressions).toContainEqual({ clientId: '+*******8003', reason: 'opt_out_keyword', at: expect.any(String) });
    expect(JSON.stringify(listed.body)).not.toContain('15551238003');
    expect((await request(gateway.app!).get('/suppressions/whatsapp-main').set('X-Api-Key', TENANT2_KEY)).status).toBe(404);
    expect((await request(gateway.app!).delete('/suppressions/whatsapp-main/+15551238003').set('X-Api-Key', TENANT2_KEY)).status).toBe(404);

    expect((await request(gateway.app!).delete('/suppressions/whatsapp-main/+15551238003').set('X-Api-Key', TENANT1_KEY)).status).toBe(204);
    expect((await invite('+15551238003')).status).toBe(200);
    expect((await request(gateway.app!).delete('/suppressions/whatsapp-main/+15551238003').set('X-Api-Key', TENANT1_KEY)).status).toBe(404);
  });
});
