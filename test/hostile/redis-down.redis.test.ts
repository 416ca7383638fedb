import type { Server } from 'node:http';
import { createHmac } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { signedHeaders } from '../../src/connectors/signature.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../src/redis/embedded.js';
import { gatewayOptions, TENANT1_KEY, WA_BUSINESS_ID } from '../support/gateway.js';
import { scratchDirectory } from '../support/scratch.js';
import { WIRE_FORMS } from './esp-forms.js';
import { answerOf, APPLE_SECRET_BASE64, CUSTOMER, expectContractAnswer, hostileConfig, MARKER_NAME, SINCH_APP_ID, SINCH_CALLBACK_SECRET, titled, WA_PHONE_NUMBER_ID, WA_APP_SECRET, type Answer, type HostileCase } from './support.js';

const KEY1 = { Authorization: `Bearer ${TENANT1_KEY}` };
const SOME_ID = '0000000000000001';

const invite = {
  referenceId: 9,
  request: {
    AppName: 'IVR_Main',
    Service: 'ChatService',
    Method: 'InviteToChat',
    Parameters: { _umsChannel: 'whatsapp-main', _umsClientId: CUSTOMER, _umsBusinessId: WA_BUSINESS_ID, StandardResponseId: 'order_ready', Contact: { FirstName: MARKER_NAME }, CustomProperties: { OrderId: 'A-1', Track: 'T1' } },
  },
  userData: { StoreName: 'Main St' },
};
const campaign = JSON.stringify({
  name: 'down',
  parameters: { _umsChannel: 'whatsapp-main', _umsBusinessId: WA_BUSINESS_ID, StandardResponseId: 'order_ready', CustomProperties: { OrderId: 'A-1', Track: 'T1' } },
  UserData: { StoreName: 'Main St' },
  recipients: [{ _umsClientId: CUSTOMER }],
});
const csvQuery = `_umsChannel=whatsapp-main&_umsBusinessId=${encodeURIComponent(WA_BUSINESS_ID)}&StandardResponseId=order_ready&CustomProperties.OrderId=A-1&CustomProperties.Track=T1&UserData.StoreName=x`;
const waStatus = JSON.stringify({ entry: [{ changes: [{ value: { metadata: { phone_number_id: WA_PHONE_NUMBER_ID }, statuses: [{ id: 'wamid.x', status: 'read' }] } }] }] });
const sinchReport = JSON.stringify({ app_id: SINCH_APP_ID, message_delivery_report: { message_id: '01X', status: 'DELIVERED' } });
const appleReport = JSON.stringify({ id: 'apple-x', status: 'delivered' });
const sinchHeaders = () => {
  const timestamp = String(Math.floor(Date.now() / 1_000));
  return {
    'Content-Type': 'application/json',
    'x-sinch-webhook-signature': createHmac('sha256', SINCH_CALLBACK_SECRET).update(`${sinchReport}.n.${timestamp}`).digest('base64'),
    'x-sinch-webhook-signature-nonce': 'n',
    'x-sinch-webhook-signature-timestamp': timestamp,
  };
};

function call(method: 'get' | 'post' | 'delete', path: string, headers: Record<string, string> | (() => Record<string, string>) = {}, body?: string) {
  return async (server: Server): Promise<Answer> => {
    let pending = request(server)[method](path).set(typeof headers === 'function' ? headers() : headers);
    if (body !== undefined) pending = pending.send(body);
    return answerOf(await pending);
  };
}

/** With Redis gone, what needs it answers 503 with Retry-After (1050 on ESP answers); what does not, answers as always. */
const CASES: HostileCase[] = [
  ...WIRE_FORMS.map((form) => ({ title: `an invite in the ${form.name} form`, status: 503, faultCode: 1050, send: call('post', '/esp', { ...KEY1, 'Content-Type': form.contentType }, form.write(invite)) })),
  { title: 'an unreadable invite is still 1001', status: 400, faultCode: 1001, send: call('post', '/esp', { ...KEY1, 'Content-Type': 'application/json' }, '{') },
  { title: 'an invite without _umsClientId is still 1010', status: 400, faultCode: 1010, send: call('post', '/esp', { ...KEY1, 'Content-Type': 'application/json' }, WIRE_FORMS[0]!.write({ ...invite, request: { ...invite.request, Parameters: { ...invite.request.Parameters, _umsClientId: '' } } })) },
  { title: 'an invite without a key is still 1040', status: 401, faultCode: 1040, send: call('post', '/esp', { 'Content-Type': 'application/json' }, WIRE_FORMS[0]!.write(invite)) },
  { title: 'GET a session', status: 503, send: call('get', `/sessions/${SOME_ID}`, KEY1) },
  { title: 'DELETE a session', status: 503, send: call('delete', `/sessions/${SOME_ID}`, KEY1) },
  { title: 'GET a malformed session id is still 404', status: 404, send: call('get', '/sessions/abc', KEY1) },
  { title: 'POST a JSON campaign', status: 503, faultCode: 1050, send: call('post', '/campaigns', { ...KEY1, 'Content-Type': 'application/json' }, campaign) },
  { title: 'POST a CSV campaign', status: 503, faultCode: 1050, send: call('post', `/campaigns?${csvQuery}`, { ...KEY1, 'Content-Type': 'text/csv' }, `_umsClientId\n${CUSTOMER}\n`) },
  { title: 'POST a campaign without StandardResponseId is still 1010', status: 400, faultCode: 1010, send: call('post', '/campaigns', { ...KEY1, 'Content-Type': 'application/json' }, campaign.replace('"StandardResponseId":"order_ready",', '')) },
  { title: 'GET a campaign', status: 503, send: call('get', `/campaigns/${SOME_ID}`, KEY1) },
  { title: 'GET campaign rows', status: 503, send: call('get', `/campaigns/${SOME_ID}/rows`, KEY1) },
  { title: 'pause a campaign', status: 503, send: call('post', `/campaigns/${SOME_ID}/pause`, KEY1) },
  { title: 'resume a channel', status: 503, send: call('post', '/channels/whatsapp-main/resume', KEY1) },
  { title: 'a signed WhatsApp status (the provider retries)', status: 503, send: call('post', '/webhooks/whatsapp', { 'Content-Type': 'application/json', 'X-Hub-Signature-256': `sha256=${createHmac('sha256', WA_APP_SECRET).update(waStatus).digest('hex')}` }, waStatus) },
  { title: 'a signed Sinch report (the provider retries)', status: 503, send: call('post', '/webhooks/sinch', sinchHeaders, sinchReport) },
  { title: 'a signed Apple report (the provider retries)', status: 503, send: call('post', '/webhooks/apple', () => ({ 'Content-Type': 'application/json', ...signedHeaders(appleReport, APPLE_SECRET_BASE64) }), appleReport) },
  { title: 'an unsigned webhook is still 401', status: 401, send: call('post', '/webhooks/apple', { 'Content-Type': 'application/json' }, appleReport) },
  { title: 'GET /readyz', status: 503, send: call('get', '/readyz') },
  { title: 'GET /livez', status: 200, send: call('get', '/livez') },
  { title: 'GET /metrics', status: 200, send: call('get', '/metrics') },
  { title: 'GET /openapi.json', status: 200, send: call('get', '/openapi.json') },
  { title: 'an unknown route is still 404', status: 404, send: call('get', '/nowhere') },
];

describe('hostile requests while Redis is down', () => {
  const redisDirectory = scratchDirectory('hostile-redis');
  let redisServer: EmbeddedRedis;
  let gateway: Gateway;
  let server: Server;

  beforeAll(async () => {
    redisServer = await startEmbeddedRedis(redisDirectory);
    gateway = await createGateway(gatewayOptions({ redisUrl: redisServer.url, redisPrefix: 'ig', role: 'api', config: parseConfig(hostileConfig()) }));
    server = await new Promise<Server>((resolve) => {
      const listening = gateway.app!.listen(0, '127.0.0.1', () => resolve(listening));
    });
    await redisServer.stop();
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await gateway?.close().catch(() => undefined);
  });

  it.each(titled(CASES))('%s', async (_title, hostileCase) => {
    const answer = await hostileCase.send(server, 0);
    expectContractAnswer(hostileCase, answer);
    if (answer.status === 503) expect(answer.headers['retry-after']).toMatch(/^\d+$/);
  });

  it('the process still answers /livez after this batch', async () => {
    expect((await request(server).get('/livez')).status).toBe(200);
  });
});
