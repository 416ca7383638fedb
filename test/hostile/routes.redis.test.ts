import { createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { openApiDocument } from '../../src/http/openapi.js';
import { signedHeaders } from '../../src/connectors/signature.js';
import { TENANT1_KEY, TENANT2_KEY } from '../support/gateway.js';
import { jsonInvite } from '../support/invites.js';
import {
  answerOf,
  APPLE_SECRET_BASE64,
  CUSTOMER,
  expectContractAnswer,
  MARKER_NAME,
  rawExchange,
  SINCH_CALLBACK_SECRET,
  expectLogsClean,
  startHostileGateway,
  titled,
  WA_APP_SECRET,
  WA_BUSINESS_ID,
  WA_VERIFY_TOKEN,
  type Answer,
  type HostileCase,
  type HostileGateway,
} from './support.js';

const KEY1 = { Authorization: `Bearer ${TENANT1_KEY}` };
const KEY2 = { Authorization: `Bearer ${TENANT2_KEY}` };

/** Ids made in beforeAll, read by the cases when they run. */
const ids = { session1: '', session2: '', campaign1: '', campaign2: '', campaignToCancel: '' };

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete' | 'head' | 'options';

/** A request with supertest: method, path (may read `ids`), headers, body. */
function call(method: Method, path: string | (() => string), headers: Record<string, string> = {}, body?: string | object) {
  return async (server: Server) => {
    let pending = request(server)[method](typeof path === 'function' ? path() : path).set(headers);
    if (body !== undefined) pending = pending.send(body);
    return answerOf(await pending);
  };
}

const jsonOf = (answer: Answer) => JSON.parse(answer.text) as Record<string, any>;

// ---------------------------------------------------------------- campaigns

function campaignBody(): Record<string, any> {
  return {
    name: 'hostile',
    parameters: { _umsChannel: 'whatsapp-main', _umsBusinessId: WA_BUSINESS_ID, StandardResponseId: 'order_ready', CustomProperties: { OrderId: 'A-1', Track: 'T1' } },
    UserData: { StoreName: 'Main St' },
    recipients: [{ _umsClientId: CUSTOMER, Contact: { FirstName: MARKER_NAME } }],
  };
}

const nested = (depth: number) => `${'{"a":'.repeat(depth)}"x"${'}'.repeat(depth)}`;

/** JSON campaign bodies: the raw text sent, and the fault the contract gives (2.4: the ESP fault of 2.1). */
const CAMPAIGN_JSON: Array<{ title: string; body: () => string; contentType?: string; status: number; faultCode?: number; names?: string }> = [
  { title: 'a valid campaign', body: () => JSON.stringify(campaignBody()), status: 202 },
  { title: 'a body that is an array', body: () => '[]', status: 400, faultCode: 1001 },
  { title: 'a body that is null', body: () => 'null', status: 400, faultCode: 1001 },
  { title: 'a body that is true', body: () => 'true', status: 400, faultCode: 1001 },
  { title: 'broken JSON', body: () => `{"recipients":[{"_umsClientId":"${CUSTOMER}"`, status: 400, faultCode: 1001 },
  { title: 'an empty body', body: () => '', status: 400, faultCode: 1001 },
  { title: 'a bare phone number as the body', body: () => `${CUSTOMER}x`, status: 400, faultCode: 1001 },
  { title: 'no recipients', body: () => JSON.stringify({ ...campaignBody(), recipients: undefined }), status: 400, faultCode: 1001, names: 'recipients' },
  { title: 'recipients as an object', body: () => JSON.stringify({ ...campaignBody(), recipients: { _umsClientId: CUSTOMER } }), status: 400, faultCode: 1001, names: 'recipients' },
  { title: 'parameters null', body: () => JSON.stringify({ ...campaignBody(), parameters: null }), status: 400, faultCode: 1001, names: 'parameters' },
  { title: 'parameters true', body: () => JSON.stringify({ ...campaignBody(), parameters: true }), status: 400, faultCode: 1001, names: 'parameters' },
  { title: 'parameters as an array', body: () => JSON.stringify({ ...campaignBody(), parameters: ['order_ready'] }), status: 400, faultCode: 1001, names: 'parameters' },
  { title: 'an unknown top-level field', body: () => JSON.stringify({ ...campaignBody(), schedule: 'now' }), status: 400, faultCode: 1001, names: 'schedule' },
  // As in POST /esp's JSON form, where UserData that is not a list makes the body unreadable (1001).
  { title: 'UserData as a string', body: () => JSON.stringify({ ...campaignBody(), UserData: 'x' }), status: 400, faultCode: 1001, names: 'UserData' },
  // A recipient's Contact maps field names to strings: another shape is a body fault, as every JSON shape fault.
  { title: 'a recipient Contact holding a nested list', body: () => `{"name":"deep","parameters":{"StandardResponseId":"order_ready"},"recipients":[{"Contact":${nested(3)}}]}`, status: 400, faultCode: 1001, names: 'recipients[0].Contact' },
  { title: 'a recipient Contact nested past limits.maxNestingDepth', body: () => `{"name":"deep","parameters":{"StandardResponseId":"order_ready"},"recipients":[{"Contact":${nested(50)}}]}`, status: 400, faultCode: 1001, names: 'limits.maxNestingDepth' },
  { title: 'a recipient nested 100,000 deep', body: () => `{"name":"deep","parameters":{"StandardResponseId":"order_ready"},"recipients":[{"Contact":${nested(100_000)}}]}`, status: 400, faultCode: 1001 },
  { title: 'parameters nested 100,000 deep', body: () => `{"name":"deep","parameters":${nested(100_000)},"recipients":[]}`, status: 400, faultCode: 1001 },
  { title: 'recipients as arrays nested 100,000 deep', body: () => `{"name":"deep","parameters":{},"recipients":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, status: 400, faultCode: 1001 },
  { title: 'no StandardResponseId', body: () => JSON.stringify({ ...campaignBody(), parameters: { ...campaignBody().parameters, StandardResponseId: undefined } }), status: 400, faultCode: 1010, names: 'StandardResponseId' },
  { title: 'an unknown StandardResponseId', body: () => JSON.stringify({ ...campaignBody(), parameters: { ...campaignBody().parameters, StandardResponseId: 'nope' } }), status: 400, faultCode: 1020 },
  { title: 'an unknown _umsChannel', body: () => JSON.stringify({ ...campaignBody(), parameters: { ...campaignBody().parameters, _umsChannel: 'telegram' } }), status: 400, faultCode: 1012 },
  { title: "another tenant's _umsChannel", body: () => JSON.stringify({ ...campaignBody(), parameters: { ...campaignBody().parameters, _umsChannel: 'whatsapp-t2' } }), status: 400, faultCode: 1012 },
  { title: 'a _umsBusinessId of another channel', body: () => JSON.stringify({ ...campaignBody(), parameters: { ...campaignBody().parameters, _umsBusinessId: '+15550003333' } }), status: 400, faultCode: 1013 },
  { title: '_umsClientId in the shared parameters', body: () => JSON.stringify({ ...campaignBody(), parameters: { ...campaignBody().parameters, _umsClientId: CUSTOMER } }), status: 400, faultCode: 1011, names: '_umsClientId' },
  { title: "a ChatQueueKey of another tenant", body: () => JSON.stringify({ ...campaignBody(), parameters: { ...campaignBody().parameters, ChatQueueKey: '2:campaigns' } }), status: 403, faultCode: 1041 },
  { title: 'TerminateSessionFlag neither true nor false', body: () => JSON.stringify({ ...campaignBody(), parameters: { ...campaignBody().parameters, TerminateSessionFlag: 'maybe' } }), status: 400, faultCode: 1011 },
  { title: 'a JSON campaign sent as text/html', body: () => JSON.stringify(campaignBody()), contentType: 'text/html', status: 415, faultCode: 1001 },
];

const CSV_QUERY = `_umsChannel=whatsapp-main&_umsBusinessId=${encodeURIComponent(WA_BUSINESS_ID)}&StandardResponseId=order_ready&CustomProperties.OrderId=A-1&CustomProperties.Track=T1&UserData.StoreName=Main%20St`;
const CSV = `_umsClientId,Contact.FirstName\n${CUSTOMER},${MARKER_NAME}\n`;

const CAMPAIGN_CSV: Array<{ title: string; query: string; body: string; status: number; faultCode?: number; names?: string }> = [
  { title: 'a valid CSV campaign', query: CSV_QUERY, body: CSV, status: 202 },
  { title: 'CRLF line ends', query: CSV_QUERY, body: CSV.replace(/\n/g, '\r\n'), status: 202 },
  { title: 'an unknown column', query: CSV_QUERY, body: `_umsClientId,Shoe.Size\n${CUSTOMER},42\n`, status: 400, faultCode: 1001, names: 'Shoe.Size' },
  { title: 'no StandardResponseId in the query', query: CSV_QUERY.replace('StandardResponseId=order_ready&', ''), body: CSV, status: 400, faultCode: 1010, names: 'StandardResponseId' },
  { title: 'an unknown StandardResponseId in the query', query: CSV_QUERY.replace('order_ready', 'nope'), body: CSV, status: 400, faultCode: 1020 },
  { title: 'a query parameter given twice', query: `${CSV_QUERY}&_umsChannel=whatsapp-main`, body: CSV, status: 400, faultCode: 1011, names: '_umsChannel' },
  { title: '_umsClientId in the query', query: `${CSV_QUERY}&_umsClientId=${encodeURIComponent(CUSTOMER)}`, body: CSV, status: 400, faultCode: 1011, names: '_umsClientId' },
  { title: 'an unclosed quote', query: CSV_QUERY, body: `_umsClientId,Contact.FirstName\n"${CUSTOMER},${MARKER_NAME}\n`, status: 400, faultCode: 1001 },
  { title: 'a row with more cells than columns', query: CSV_QUERY, body: `_umsClientId,Contact.FirstName\n${CUSTOMER},${MARKER_NAME},extra,cells\n`, status: 400, faultCode: 1001 },
];

// ---------------------------------------------------------------- webhooks

function hubSigned(body: string, secret = WA_APP_SECRET) {
  return { 'Content-Type': 'application/json', 'X-Hub-Signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` };
}
function sinchSigned(body: string, secret = SINCH_CALLBACK_SECRET, ageSeconds = 0) {
  const nonce = 'nonce-h';
  const timestamp = String(Math.floor(Date.now() / 1_000) - ageSeconds);
  const signature = createHmac('sha256', secret).update(`${body}.${nonce}.${timestamp}`).digest('base64');
  return { 'Content-Type': 'application/json', 'x-sinch-webhook-signature': signature, 'x-sinch-webhook-signature-nonce': nonce, 'x-sinch-webhook-signature-timestamp': timestamp };
}
function appleSigned(body: string, secret = APPLE_SECRET_BASE64, ageSeconds = 0) {
  return { 'Content-Type': 'application/json', ...signedHeaders(body, secret, Date.now() - ageSeconds * 1_000) };
}

const waStatuses = JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'messages', value: { metadata: { phone_number_id: '109876543210' }, statuses: [{ id: 'wamid.unknown', status: 'read', recipient_id: CUSTOMER.slice(1) }] } }] }] });
const waInbound = JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'messages', value: { metadata: { phone_number_id: '109876543210' }, contacts: [{ profile: { name: MARKER_NAME }, wa_id: CUSTOMER.slice(1) }], messages: [{ from: CUSTOMER.slice(1), id: 'wamid.in1', timestamp: '1700000000', type: 'text', text: { body: `hi ${MARKER_NAME}` } }] } }] }] });
const sinchReport = JSON.stringify({ app_id: 'app-h', message_delivery_report: { message_id: '01UNKNOWN', status: 'DELIVERED', channel_identity: { channel: 'WHATSAPP', identity: CUSTOMER.slice(1) } } });
const sinchInbound = JSON.stringify({ app_id: 'app-h', message: { id: '01IN', direction: 'TO_APP', channel_identity: { channel: 'WHATSAPP', identity: CUSTOMER.slice(1) }, contact_message: { text_message: { text: `hi ${MARKER_NAME}` } } } });
const appleReport = JSON.stringify({ id: 'apple-unknown', status: 'delivered', destinationId: 'urn:mbid:x' });
const appleInbound = JSON.stringify({ type: 'message', id: 'apple-in-1', sourceId: 'urn:mbid:hostile', destinationId: 'b7d1c0de-5a1e-4c3b-9f00-000000000abc', body: `hi ${MARKER_NAME}` });

const WEBHOOKS: HostileCase[] = [
  { title: 'WhatsApp handshake with the verify token', status: 200, send: call('get', `/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${WA_VERIFY_TOKEN}&hub.challenge=12345`), check: (answer) => expect(answer.text).toBe('12345') },
  { title: 'WhatsApp handshake echoes the challenge as text/plain only', status: 200, send: call('get', `/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${WA_VERIFY_TOKEN}&hub.challenge=%3Cscript%3E`), check: (answer) => expect(String(answer.headers['content-type'])).toMatch(/^text\/plain/) },
  { title: 'WhatsApp handshake with a wrong verify token', status: 403, send: call('get', `/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1`) },
  { title: 'WhatsApp handshake without hub.mode', status: 403, send: call('get', `/webhooks/whatsapp?hub.verify_token=${WA_VERIFY_TOKEN}&hub.challenge=1`) },
  { title: 'WhatsApp handshake with the token given twice', status: 403, send: call('get', `/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${WA_VERIFY_TOKEN}&hub.verify_token=x&hub.challenge=1`) },
  { title: 'WhatsApp handshake with two challenges', status: 403, send: call('get', `/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${WA_VERIFY_TOKEN}&hub.challenge=1&hub.challenge=2`) },
  { title: 'WhatsApp statuses signed', status: 200, send: call('post', '/webhooks/whatsapp', hubSigned(waStatuses), waStatuses) },
  { title: 'WhatsApp statuses signed in upper-case hex', status: 200, send: call('post', '/webhooks/whatsapp', { ...hubSigned(waStatuses), 'X-Hub-Signature-256': hubSigned(waStatuses)['X-Hub-Signature-256'].replace(/[a-f]/g, (c) => c.toUpperCase()).replace('SHA256', 'sha256') }, waStatuses) },
  { title: 'a WhatsApp inbound message signed', status: 200, send: call('post', '/webhooks/whatsapp', hubSigned(waInbound), waInbound) },
  { title: 'WhatsApp statuses unsigned', status: 401, send: call('post', '/webhooks/whatsapp', { 'Content-Type': 'application/json' }, waStatuses) },
  { title: 'WhatsApp statuses signed with another secret', status: 401, send: call('post', '/webhooks/whatsapp', hubSigned(waStatuses, 'not-the-secret'), waStatuses) },
  { title: 'WhatsApp statuses with the signature of another body', status: 401, send: call('post', '/webhooks/whatsapp', hubSigned(waInbound), waStatuses) },
  { title: 'WhatsApp statuses with a sha1 signature', status: 401, send: call('post', '/webhooks/whatsapp', { 'Content-Type': 'application/json', 'X-Hub-Signature-256': `sha1=${createHmac('sha1', WA_APP_SECRET).update(waStatuses).digest('hex')}` }, waStatuses) },
  { title: 'WhatsApp signed body that is not JSON', status: 400, send: call('post', '/webhooks/whatsapp', hubSigned(`from=${CUSTOMER}`), `from=${CUSTOMER}`) },
  { title: 'WhatsApp signed empty body', status: 400, send: call('post', '/webhooks/whatsapp', hubSigned(''), '') },
  { title: 'WhatsApp signed JSON array', status: 400, send: call('post', '/webhooks/whatsapp', hubSigned('[]'), '[]') },
  { title: 'WhatsApp signed entry that is a string', status: 400, send: call('post', '/webhooks/whatsapp', hubSigned('{"entry":"x"}'), '{"entry":"x"}') },
  { title: 'WhatsApp signed entry holding null', status: 400, send: call('post', '/webhooks/whatsapp', hubSigned('{"entry":[null]}'), '{"entry":[null]}') },
  { title: 'WhatsApp signed changes that is a number', status: 400, send: call('post', '/webhooks/whatsapp', hubSigned('{"entry":[{"changes":5}]}'), '{"entry":[{"changes":5}]}') },
  { title: 'WhatsApp signed statuses that is a string', status: 400, send: call('post', '/webhooks/whatsapp', hubSigned('{"entry":[{"changes":[{"value":{"statuses":"read"}}]}]}'), '{"entry":[{"changes":[{"value":{"statuses":"read"}}]}]}') },
  { title: 'Sinch delivery report signed', status: 200, send: call('post', '/webhooks/sinch', sinchSigned(sinchReport), sinchReport) },
  { title: 'a Sinch inbound message signed', status: 200, send: call('post', '/webhooks/sinch', sinchSigned(sinchInbound), sinchInbound) },
  { title: 'Sinch report unsigned', status: 401, send: call('post', '/webhooks/sinch', { 'Content-Type': 'application/json' }, sinchReport) },
  { title: 'Sinch report signed with another secret', status: 401, send: call('post', '/webhooks/sinch', sinchSigned(sinchReport, 'not-the-secret'), sinchReport) },
  { title: 'Sinch report without its nonce', status: 401, send: call('post', '/webhooks/sinch', { ...sinchSigned(sinchReport), 'x-sinch-webhook-signature-nonce': '' }, sinchReport) },
  { title: 'Sinch report replayed an hour later', status: 401, send: call('post', '/webhooks/sinch', sinchSigned(sinchReport, SINCH_CALLBACK_SECRET, 3_600), sinchReport) },
  { title: 'Sinch signed body that is not JSON', status: 400, send: call('post', '/webhooks/sinch', sinchSigned(`to=${CUSTOMER}`), `to=${CUSTOMER}`) },
  { title: 'Sinch signed JSON array', status: 400, send: call('post', '/webhooks/sinch', sinchSigned('[]'), '[]') },
  { title: 'Sinch signed report that is a string', status: 400, send: call('post', '/webhooks/sinch', sinchSigned('{"message_delivery_report":"DELIVERED"}'), '{"message_delivery_report":"DELIVERED"}') },
  { title: 'Apple report signed', status: 200, send: call('post', '/webhooks/apple', appleSigned(appleReport), appleReport) },
  { title: 'an Apple inbound message signed', status: 200, send: call('post', '/webhooks/apple', appleSigned(appleInbound), appleInbound) },
  { title: 'Apple report unsigned', status: 401, send: call('post', '/webhooks/apple', { 'Content-Type': 'application/json' }, appleReport) },
  { title: 'Apple report signed with another secret', status: 401, send: call('post', '/webhooks/apple', appleSigned(appleReport, 'bm90LXRoZS1zZWNyZXQ='), appleReport) },
  { title: 'Apple report replayed an hour later', status: 401, send: call('post', '/webhooks/apple', appleSigned(appleReport, APPLE_SECRET_BASE64, 3_600), appleReport) },
  { title: 'Apple report dated an hour ahead', status: 401, send: call('post', '/webhooks/apple', appleSigned(appleReport, APPLE_SECRET_BASE64, -3_600), appleReport) },
  { title: 'Apple signature header without v1', status: 401, send: call('post', '/webhooks/apple', { 'Content-Type': 'application/json', 'X-Invite-Signature': `t=${Math.floor(Date.now() / 1_000)}` }, appleReport) },
  { title: 'Apple signed body that is not JSON', status: 400, send: call('post', '/webhooks/apple', appleSigned(`id=${CUSTOMER}`), `id=${CUSTOMER}`) },
  { title: 'Apple signed JSON array', status: 400, send: call('post', '/webhooks/apple', appleSigned('[]'), '[]') },
  { title: 'Apple signed report with a numeric id', status: 400, send: call('post', '/webhooks/apple', appleSigned('{"id":5,"status":"read"}'), '{"id":5,"status":"read"}') },
  { title: 'a webhook body over 1 MB', status: 413, send: call('post', '/webhooks/whatsapp', { 'Content-Type': 'application/json' }, `{"a":"${'x'.repeat(1_100_000)}"}`) },
  { title: 'POST /webhooks/unknown', status: 404, send: call('post', '/webhooks/telegram', { 'Content-Type': 'application/json' }, '{}') },
  { title: 'POST /webhooks/inbound/ for a channel that does not exist', status: 404, send: call('post', '/webhooks/inbound/no-such-channel', { 'Content-Type': 'application/json' }, '{}') },
  { title: 'GET /webhooks/sinch', status: 404, send: call('get', '/webhooks/sinch') },
  { title: 'GET /webhooks/apple', status: 404, send: call('get', '/webhooks/apple') },
  { title: 'PUT /webhooks/whatsapp', status: 404, send: call('put', '/webhooks/whatsapp', { 'Content-Type': 'application/json' }, '{}') },
  { title: 'DELETE /webhooks/apple', status: 404, send: call('delete', '/webhooks/apple') },
];

// ---------------------------------------------------------------- sessions, channels, campaigns by id

const SESSIONS: HostileCase[] = [
  { title: 'GET own session, client id masked', status: 200, send: call('get', () => `/sessions/${ids.session1}`, KEY1), check: (answer) => expect(jsonOf(answer).clientId).toBe('+*******4321') },
  { title: 'GET own session with X-Api-Key', status: 200, send: call('get', () => `/sessions/${ids.session1}`, { 'X-Api-Key': TENANT1_KEY }) },
  { title: "GET another tenant's session", status: 404, send: call('get', () => `/sessions/${ids.session2}`, KEY1) },
  { title: 'GET an unknown session id', status: 404, send: call('get', '/sessions/0000000000000000', KEY1) },
  { title: 'GET a session id too short', status: 404, send: call('get', '/sessions/abc', KEY1) },
  { title: 'GET a session id of 17 characters', status: 404, send: call('get', () => `/sessions/${ids.session1}x`, KEY1) },
  { title: 'GET a session id with %00', status: 404, send: call('get', '/sessions/000000000000000%00', KEY1) },
  { title: 'GET a session id with ../', status: 404, send: call('get', '/sessions/..%2F..%2Fcampaigns', KEY1) },
  { title: 'GET a session id of 5,000 characters', status: 404, send: call('get', `/sessions/${'a'.repeat(5_000)}`, KEY1) },
  { title: 'GET a session id with a broken %-escape', status: 400, send: call('get', '/sessions/%E0%A4%A', KEY1) },
  { title: 'GET a session without a key', status: 401, send: call('get', () => `/sessions/${ids.session1}`) },
  { title: 'GET a session with an unknown key', status: 401, send: call('get', () => `/sessions/${ids.session1}`, { Authorization: 'Bearer nope' }) },
  { title: 'GET a session with Basic credentials', status: 401, send: call('get', () => `/sessions/${ids.session1}`, { Authorization: `Basic ${Buffer.from(`x:${TENANT1_KEY}`).toString('base64')}` }) },
  {
    title: "DELETE another tenant's session changes nothing",
    status: 404,
    send: call('delete', () => `/sessions/${ids.session2}`, KEY1),
    check: () => undefined,
  },
  { title: 'DELETE an unknown session', status: 404, send: call('delete', '/sessions/0000000000000000', KEY1) },
  { title: 'DELETE a malformed session id', status: 404, send: call('delete', '/sessions/%00', KEY1) },
  { title: 'DELETE a session without a key', status: 401, send: call('delete', () => `/sessions/${ids.session1}`) },
  { title: 'DELETE own session', status: 200, send: call('delete', () => `/sessions/${ids.session1}`, KEY1), check: (answer) => expect(jsonOf(answer).state).toBe('terminated') },
  { title: 'DELETE own session again', status: 200, send: call('delete', () => `/sessions/${ids.session1}`, KEY1), check: (answer) => expect(jsonOf(answer).state).toBe('terminated') },
  { title: 'PUT a session', status: 404, send: call('put', () => `/sessions/${ids.session1}`, KEY1, { state: 'open' }) },
  { title: 'POST a session', status: 404, send: call('post', () => `/sessions/${ids.session1}`, KEY1, { state: 'open' }) },
];

const CHANNELS: HostileCase[] = [
  { title: 'resume own channel', status: 200, send: call('post', '/channels/whatsapp-main/resume', KEY1) },
  { title: 'resume own sinch channel', status: 200, send: call('post', '/channels/sinch-main/resume', KEY1) },
  { title: "resume another tenant's channel", status: 404, send: call('post', '/channels/whatsapp-t2/resume', KEY1) },
  { title: 'resume an unknown channel', status: 404, send: call('post', '/channels/telegram/resume', KEY1) },
  { title: 'resume a channel named __proto__', status: 404, send: call('post', '/channels/__proto__/resume', KEY1) },
  { title: 'resume a channel named with %00', status: 404, send: call('post', '/channels/%00/resume', KEY1) },
  { title: 'resume without a key', status: 401, send: call('post', '/channels/whatsapp-main/resume') },
  { title: 'resume with an unknown key', status: 401, send: call('post', '/channels/whatsapp-main/resume', { 'X-Api-Key': 'nope' }) },
  { title: 'GET a resume', status: 404, send: call('get', '/channels/whatsapp-main/resume', KEY1) },
  { title: 'POST /channels', status: 404, send: call('post', '/channels', KEY1) },
  { title: 'POST /channels/whatsapp-main/stop', status: 404, send: call('post', '/channels/whatsapp-main/stop', KEY1) },
];

const CAMPAIGNS_BY_ID: HostileCase[] = [
  { title: 'GET own campaign', status: 200, send: call('get', () => `/campaigns/${ids.campaign1}`, KEY1), check: (answer) => expect(jsonOf(answer)).toMatchObject({ campaignId: ids.campaign1, total: 1, state: 'running' }) },
  { title: "GET another tenant's campaign", status: 404, send: call('get', () => `/campaigns/${ids.campaign2}`, KEY1) },
  { title: 'GET an unknown campaign', status: 404, send: call('get', '/campaigns/0000000000000000', KEY1) },
  { title: 'GET a campaign id with %00', status: 404, send: call('get', '/campaigns/%00', KEY1) },
  { title: 'GET a campaign id with ../', status: 404, send: call('get', '/campaigns/..%2F..%2Fsessions', KEY1) },
  { title: 'GET a campaign id of 5,000 characters', status: 404, send: call('get', `/campaigns/${'c'.repeat(5_000)}`, KEY1) },
  { title: 'GET a campaign id with a broken %-escape', status: 400, send: call('get', '/campaigns/%E0%A4%A', KEY1) },
  { title: 'GET a campaign without a key', status: 401, send: call('get', () => `/campaigns/${ids.campaign1}`) },
  { title: 'GET a campaign with an unknown key', status: 401, send: call('get', () => `/campaigns/${ids.campaign1}`, { Authorization: 'Bearer nope' }) },
  { title: 'rows in state refused', status: 200, send: call('get', () => `/campaigns/${ids.campaign1}/rows?state=refused`, KEY1), check: (answer) => expect(jsonOf(answer)).toMatchObject({ total: 0, rows: [] }) },
  { title: 'rows in an unknown state', status: 400, send: call('get', () => `/campaigns/${ids.campaign1}/rows?state=exploded`, KEY1), names: 'state' },
  { title: 'rows with the state given twice', status: 400, send: call('get', () => `/campaigns/${ids.campaign1}/rows?state=refused&state=failed`, KEY1) },
  { title: 'rows with a negative limit', status: 200, send: call('get', () => `/campaigns/${ids.campaign1}/rows?limit=-5`, KEY1) },
  { title: 'rows with a limit of a billion', status: 200, send: call('get', () => `/campaigns/${ids.campaign1}/rows?limit=1000000000`, KEY1) },
  { title: 'rows with an offset that is text', status: 200, send: call('get', () => `/campaigns/${ids.campaign1}/rows?offset=abc`, KEY1) },
  { title: "rows of another tenant's campaign", status: 404, send: call('get', () => `/campaigns/${ids.campaign2}/rows`, KEY1) },
  { title: 'resume a running campaign', status: 409, send: call('post', () => `/campaigns/${ids.campaign1}/resume`, KEY1) },
  { title: "pause another tenant's campaign", status: 404, send: call('post', () => `/campaigns/${ids.campaign2}/pause`, KEY1) },
  { title: 'cancel an unknown campaign', status: 404, send: call('post', '/campaigns/0000000000000000/cancel', KEY1) },
  { title: 'pause a campaign', status: 200, send: call('post', () => `/campaigns/${ids.campaignToCancel}/pause`, KEY1), check: (answer) => expect(jsonOf(answer).state).toBe('paused') },
  { title: 'pause a paused campaign', status: 409, send: call('post', () => `/campaigns/${ids.campaignToCancel}/pause`, KEY1) },
  { title: 'cancel a paused campaign', status: 200, send: call('post', () => `/campaigns/${ids.campaignToCancel}/cancel`, KEY1), check: (answer) => expect(jsonOf(answer).state).toBe('cancelled') },
  { title: 'resume a cancelled campaign', status: 409, send: call('post', () => `/campaigns/${ids.campaignToCancel}/resume`, KEY1) },
  { title: 'an unknown campaign action', status: 404, send: call('post', () => `/campaigns/${ids.campaign1}/explode`, KEY1) },
  { title: 'DELETE a campaign', status: 404, send: call('delete', () => `/campaigns/${ids.campaign1}`, KEY1) },
  { title: 'GET the campaign list', status: 404, send: call('get', '/campaigns', KEY1) },
  { title: 'POST /campaigns without a key', status: 401, send: call('post', '/campaigns', { 'Content-Type': 'application/json' }, JSON.stringify(campaignBody())) },
  { title: 'POST /campaigns with an unknown key', status: 401, send: call('post', '/campaigns', { 'Content-Type': 'application/json', 'X-Api-Key': 'nope' }, JSON.stringify(campaignBody())) },
];

// ---------------------------------------------------------------- ops and unknown routes

const OPS: HostileCase[] = [
  { title: 'GET /livez', status: 200, send: call('get', '/livez') },
  { title: 'GET /readyz', status: 200, send: call('get', '/readyz') },
  { title: 'GET /metrics', status: 200, send: call('get', '/metrics'), check: (answer) => expect(answer.text).toContain('invite_gateway_') },
  { title: 'GET /openapi.json', status: 200, send: call('get', '/openapi.json'), check: (answer) => expect(jsonOf(answer).openapi).toMatch(/^3\./) },
  { title: 'HEAD /livez', status: 200, send: call('head', '/livez') },
  { title: 'GET /livez with a query of markup', status: 200, send: call('get', '/livez?<script>=1') },
  { title: 'GET /metrics asking for JSON', status: 200, send: call('get', '/metrics', { Accept: 'application/json' }) },
  { title: 'GET /openapi.json asking for XML', status: 200, send: call('get', '/openapi.json', { Accept: 'application/xml' }) },
  { title: 'POST /livez', status: 404, send: call('post', '/livez', {}, 'x') },
  { title: 'POST /metrics', status: 404, send: call('post', '/metrics', {}, 'x') },
  { title: 'DELETE /readyz', status: 404, send: call('delete', '/readyz') },
  { title: 'PUT /openapi.json', status: 404, send: call('put', '/openapi.json', {}, '{}') },
];

const UNKNOWN_PATHS = ['/', '/admin', '/esp/extra', '/.env', '/%2e%2e/%2e%2e/etc/passwd', '/sessions', '/webhooks', '/api/v1/esp', '/esp%00', `/${'a'.repeat(4_000)}`];
const METHODS: Method[] = ['get', 'post', 'put', 'patch', 'delete'];
const UNKNOWN: HostileCase[] = [
  ...UNKNOWN_PATHS.flatMap((path) => METHODS.map((method) => ({ title: `${method.toUpperCase()} ${path.length > 60 ? `${path.slice(0, 20)}… (${path.length} chars)` : path}`, status: 404, send: call(method, path, KEY1) }))),
  ...(['get', 'put', 'patch', 'delete'] as const).map((method) => ({ title: `${method.toUpperCase()} /esp`, status: 404, send: call(method, '/esp', KEY1) })),
  { title: 'a request line with an absolute URL', status: 200, send: async (_server: Server, port: number) => rawExchange(port, `GET http://example.com/livez HTTP/1.1\r\nHost: example.com\r\n\r\n`) },
  { title: 'a request line that is not HTTP', status: 400, send: async (_server: Server, port: number) => rawExchange(port, 'HELLO THERE\r\n\r\n') },
  { title: 'a header without a colon', status: 400, send: async (_server: Server, port: number) => rawExchange(port, 'GET /livez HTTP/1.1\r\nHost: x\r\nbroken header\r\n\r\n') },
  { title: 'a path of 20,000 characters', status: 431, send: async (_server: Server, port: number) => rawExchange(port, `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`) },
];

const validErrorBody = new Ajv({ strict: false }).compile(openApiDocument.components.schemas.Error);
const CODE_BY_STATUS: Record<number, string> = { 400: 'bad_request', 404: 'not_found', 409: 'conflict', 413: 'payload_too_large', 415: 'unsupported_media_type', 503: 'redis_unavailable' };

/** The error body of docs/protocol.md#http-errors: a sentence and the code its status stands for. */
function expectErrorBody(answer: Answer): void {
  const body = JSON.parse(answer.text) as { error: string; code: string };
  expect(validErrorBody(body), `${answer.status} ${answer.text}: ${JSON.stringify(validErrorBody.errors)}`).toBe(true);
  expect(body.error.length, answer.text).toBeGreaterThan(8);
  if (answer.status === 401) expect(['unauthenticated', 'bad_signature'], answer.text).toContain(body.code);
  else if (answer.status === 403) expect(body.code).toBe('forbidden');
  else expect(body.code, answer.text).toBe(CODE_BY_STATUS[answer.status]);
  if (body.code === 'unauthenticated') expect(answer.headers['www-authenticate']).toBe('Bearer');
}

describe('hostile requests on every route but POST /esp', () => {
  let hostile: HostileGateway;
  beforeAll(async () => {
    hostile = await startHostileGateway('hostile-routes');
    const invite = async (key: Record<string, string>, parameters: Record<string, unknown>) => {
      const response = await request(hostile.server).post('/esp').set(key).send(jsonInvite({ parameters: { _umsClientId: CUSTOMER, ...parameters } }));
      expect(response.status, response.text).toBe(200);
      return response.body.Request._umsChatSessionId as string;
    };
    ids.session1 = await invite(KEY1, {});
    ids.session2 = await invite(KEY2, { _umsChannel: 'whatsapp-t2', _umsBusinessId: '+15550002222' });
    const campaign = async (key: Record<string, string>, parameters: Record<string, unknown> = {}) => {
      const body = campaignBody();
      Object.assign(body.parameters, parameters);
      const response = await request(hostile.server).post('/campaigns').set(key).send(body);
      expect(response.status, response.text).toBe(202);
      return response.body.campaignId as string;
    };
    ids.campaign1 = await campaign(KEY1);
    ids.campaign2 = await campaign(KEY2, { _umsChannel: 'whatsapp-t2', _umsBusinessId: '+15550002222' });
    ids.campaignToCancel = await campaign(KEY1);
  });
  afterAll(async () => {
    await hostile?.close();
  });

  const run = (hostileCase: HostileCase) => async () => {
    const answer = await hostileCase.send(hostile.server, hostile.port);
    expectContractAnswer(hostileCase, answer);
    // Every refusal but an ESP fault has the one error body of the OpenAPI document; Node's own
    // HTTP parser answers a request it cannot read at all with a bare status line, before express.
    const answeredByNode = answer.text === '' && answer.headers['content-type'] === undefined;
    if (answer.status >= 400 && hostileCase.faultCode === undefined && !answeredByNode) expectErrorBody(answer);
  };
  const expectAlive = async () => {
    expect((await request(hostile.server).get('/livez')).status).toBe(200);
    expect((await request(hostile.server).get('/readyz')).status).toBe(200);
  };

  describe.each([
    { mode: 'stored', query: '' },
    { mode: 'dry run', query: '?dryRun=true' },
  ])('POST /campaigns JSON, $mode', ({ query }) => {
    const cases: HostileCase[] = CAMPAIGN_JSON.map(({ title, body, contentType, status, faultCode, names }) => ({
      title,
      status: query && status === 202 ? 200 : status,
      faultCode,
      names,
      send: call('post', `/campaigns${query}`, { ...KEY1, 'Content-Type': contentType ?? 'application/json' }, body()),
    }));
    it.each(titled(cases))('%s', (_title, hostileCase) => run(hostileCase)());
    it('the service is still healthy after this batch', expectAlive);
  });

  describe.each([
    { mode: 'stored', query: '' },
    { mode: 'dry run', query: '&dryRun=true' },
  ])('POST /campaigns CSV, $mode', ({ query }) => {
    const cases: HostileCase[] = CAMPAIGN_CSV.map(({ title, query: shared, body, status, faultCode, names }) => ({
      title,
      status: query && status === 202 ? 200 : status,
      faultCode,
      names,
      send: call('post', `/campaigns?${shared}${query}`, { ...KEY1, 'Content-Type': 'text/csv' }, body),
    }));
    it.each(titled(cases))('%s', (_title, hostileCase) => run(hostileCase)());
    it('the service is still healthy after this batch', expectAlive);
  });

  describe.each([
    { batch: 'campaigns by id', cases: CAMPAIGNS_BY_ID },
    { batch: 'sessions', cases: SESSIONS },
    { batch: 'channels', cases: CHANNELS },
    { batch: 'provider webhooks', cases: WEBHOOKS },
    { batch: 'ops routes', cases: OPS },
    { batch: 'unknown routes and methods', cases: UNKNOWN },
  ])('$batch', ({ cases }) => {
    it.each(titled(cases))('%s', (_title, hostileCase) => run(hostileCase)());
    it('the service is still healthy after this batch', expectAlive);
  });

  it("a DELETE by another tenant left tenant 2's session as it was", async () => {
    const { status, body } = await request(hostile.server).get(`/sessions/${ids.session2}`).set(KEY2);
    expect(status).toBe(200);
    expect(body.state).not.toBe('terminated');
  });

  it('nothing the gateway logged carries the customer number or text', () => expectLogsClean(hostile.logs));
});
