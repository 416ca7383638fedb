import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedHeaders } from '../../src/connectors/signature.js';
import { eventually, startTestGateway, TENANT1_KEY, TENANT2_KEY, testConfig, type TestGateway } from '../support/gateway.js';
import { jsonInvite } from '../support/invites.js';
import { startLoopbackServer, type LoopbackServer } from '../support/loopback.js';

const SECRET_T1 = 'sms-aggregator-secret-1';
const SECRET_T2 = 'sms-aggregator-secret-2';

/** POST /webhooks/inbound/<channel>: customers of the `webhook` connector (e.g. an SMS aggregator). */
describe('customer messages through the webhook connector', () => {
  let aggregator: LoopbackServer;
  let gateway: TestGateway;
  const sent: Array<Record<string, any>> = [];

  beforeAll(async () => {
    aggregator = await startLoopbackServer((_incoming, raw, response) => {
      const body = JSON.parse(raw.toString('utf8'));
      sent.push(body);
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `agg-${sent.length}` }));
    });
    const config = testConfig();
    // The same channel name in two tenants: the signature tells whose customer wrote.
    config.tenants[0]!.channels.push({ name: 'sms', type: 'sms', businessIds: ['+15550009001'], inboundRouteByCall: '1:sms-inbound', connector: { kind: 'webhook', url: `${aggregator.url}/send`, secret: SECRET_T1 } });
    config.tenants[1]!.channels.push({ name: 'sms', type: 'sms', businessIds: ['+15550009002'], inboundRouteByCall: '2:sms-inbound', connector: { kind: 'webhook', url: `${aggregator.url}/send`, secret: SECRET_T2 } });
    gateway = await startTestGateway({ label: 'webhook-inbound', config });
  });
  afterAll(async () => {
    await gateway?.dispose();
    await aggregator?.close();
  });

  const post = (channel: string, message: unknown, secret: string) => {
    const body = JSON.stringify(message);
    return request(gateway.app!).post(`/webhooks/inbound/${channel}`).set('Content-Type', 'application/json').set(signedHeaders(body, secret, Date.now())).send(body);
  };

  it('a reply to an SMS invite lands on its session; the signature decides the tenant; a bad one changes nothing', async () => {
    const invited = await request(gateway.app!)
      .post('/esp')
      .set('X-Api-Key', TENANT1_KEY)
      .send(jsonInvite({ parameters: { _umsChannel: 'sms', _umsBusinessId: '+15550009001', _umsClientId: '+15551239301', StandardResponseId: 'callback_offer', Agent: { FirstName: 'Rui' }, CustomProperties: { CaseId: 'K-9301' } } }));
    expect(invited.status, invited.text).toBe(200);
    const sessionId = invited.body.Request._umsChatSessionId as string;
    const view = await eventually(async () => {
      const body = (await request(gateway.app!).get(`/sessions/${sessionId}`).set('X-Api-Key', TENANT1_KEY)).body;
      return body.delivery === 'sent' ? body : undefined;
    }, 8_000, 'the SMS invite sent');

    const reply = { id: 'sms-in-1', from: '+15551239301', to: '+15550009001', text: 'C', replyTo: view.providerMessageId };
    expect((await post('sms', reply, 'wrong-secret')).status).toBe(401);
    expect((await post('sms', reply, SECRET_T1)).body).toMatchObject({ applied: 1 });
    expect((await post('sms', reply, SECRET_T1)).body).toMatchObject({ duplicates: 1 });
    const messages = (await request(gateway.app!).get(`/sessions/${sessionId}/messages`).set('X-Api-Key', TENANT1_KEY)).body.messages;
    expect(messages.map((message: { direction: string; text?: string }) => [message.direction, message.text ?? null])).toEqual([['out', null], ['in', 'C']]);

    // Tenant 2's secret on the same channel name: its own channel, where that number is not a business id.
    expect((await post('sms', { ...reply, id: 'sms-in-2' }, SECRET_T2)).body).toMatchObject({ unknown: 1 });
    expect((await request(gateway.app!).get(`/sessions/${sessionId}/messages`).set('X-Api-Key', TENANT2_KEY)).status).toBe(404);
  });

  it('a message with neither text nor attachment is 400 naming it; an unknown channel is 404', async () => {
    const bad = await post('sms', { id: 'sms-in-3', from: '+15551239302', to: '+15550009001' }, SECRET_T1);
    expect([bad.status, bad.body.error]).toEqual([400, expect.stringMatching(/text/)]);
    expect((await post('no-such-channel', { id: 'x', from: 'a', to: 'b', text: 't' }, SECRET_T1)).status).toBe(404);
  });
});
