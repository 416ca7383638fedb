import { gzipSync, deflateSync } from 'node:zlib';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TENANT1_KEY, TENANT2_KEY } from '../support/gateway.js';
import { WIRE_FORMS, type EspList, type EspMessage, type WireForm } from './esp-forms.js';
import { answerOf, APPLE_BUSINESS_ID, CUSTOMER, expectContractAnswer, MARKER_NAME, rawExchange, expectLogsClean, startHostileGateway, WA_BUSINESS_ID, type Answer, type HostileCase, type HostileGateway, titled } from './support.js';

/** A valid invite for the sample `order_ready` template, to be varied by each case. */
function validInvite(): EspMessage {
  return {
    referenceId: 7,
    request: {
      AppName: 'IVR_Main',
      Service: 'ChatService',
      Method: 'InviteToChat',
      Parameters: {
        _umsChannel: 'whatsapp-main',
        _umsClientId: CUSTOMER,
        _umsBusinessId: WA_BUSINESS_ID,
        StandardResponseId: 'order_ready',
        Contact: { FirstName: MARKER_NAME, LastName: 'Silva' },
        CustomProperties: { OrderId: 'A-1042', Track: 'A1042' },
      },
    },
    userData: { GCTI_Chat_SubmitAsOutbound: 'true', StoreName: 'Main St' },
  };
}

const parametersOf = (message: EspMessage) => message.request.Parameters as EspList;

interface Variant {
  title: string;
  vary(message: EspMessage): void;
  status: number;
  faultCode?: number;
  names?: string;
}

const sessionIdAnswered = (answer: Answer) => expect(answer.text).toMatch(/_umsChatSessionId(<\/key><value><ValueString>|":")[0-9A-Za-z]{16}/);

/** One request varied the same way in every wire form: the answer must not depend on the form. */
const VARIANTS: Variant[] = [
  { title: 'a valid invite', vary: () => undefined, status: 200 },
  { title: 'AppType 171 instead of AppName', vary: (m) => { delete m.request.AppName; m.request.AppType = 171; }, status: 200 },
  { title: 'no ReferenceId', vary: (m) => delete m.referenceId, status: 200 },
  { title: 'a negative ReferenceId', vary: (m) => (m.referenceId = -5), status: 200 },
  { title: 'TerminateSessionFlag true', vary: (m) => (parametersOf(m).TerminateSessionFlag = 'true'), status: 200 },
  { title: 'an empty FirstName filled by the default', vary: (m) => ((parametersOf(m).Contact as EspList).FirstName = ''), status: 200 },
  { title: 'unicode and emoji in a Contact field', vary: (m) => ((parametersOf(m).Contact as EspList).LastName = 'Sílva 😀 李'), status: 200 },
  { title: 'the apple channel with an opaque conversation id', vary: (m) => Object.assign(parametersOf(m), { _umsChannel: 'apple-main', _umsBusinessId: APPLE_BUSINESS_ID, _umsClientId: 'urn:mbid:AQAAY0hostile', StandardResponseId: 'apple_list_picker' }), status: 200 },
  { title: 'the sinch channel', vary: (m) => Object.assign(parametersOf(m), { _umsChannel: 'sinch-main', _umsBusinessId: '+15550003333' }), status: 200 },
  { title: 'Service other than ChatService', vary: (m) => (m.request.Service = 'OtherService'), status: 400, faultCode: 1002, names: 'Service' },
  { title: 'Method other than InviteToChat', vary: (m) => (m.request.Method = 'Invite'), status: 400, faultCode: 1002, names: 'Method' },
  { title: 'no Service', vary: (m) => delete m.request.Service, status: 400, faultCode: 1002, names: 'Service' },
  { title: 'neither AppName nor AppType', vary: (m) => delete m.request.AppName, status: 400, faultCode: 1003 },
  { title: 'no Parameters', vary: (m) => delete m.request.Parameters, status: 400, faultCode: 1010, names: 'Parameters' },
  { title: 'Parameters as a single value', vary: (m) => (m.request.Parameters = 'x'), status: 400, faultCode: 1011, names: 'Parameters' },
  { title: 'no _umsClientId', vary: (m) => delete parametersOf(m)._umsClientId, status: 400, faultCode: 1010, names: '_umsClientId' },
  { title: 'an empty _umsClientId', vary: (m) => (parametersOf(m)._umsClientId = ''), status: 400, faultCode: 1010, names: '_umsClientId' },
  { title: 'no _umsBusinessId', vary: (m) => delete parametersOf(m)._umsBusinessId, status: 400, faultCode: 1010, names: '_umsBusinessId' },
  { title: 'a _umsClientId that is not a phone number', vary: (m) => (parametersOf(m)._umsClientId = `${CUSTOMER}-ext-9`), status: 400, faultCode: 1011, names: '_umsClientId' },
  { title: 'a _umsClientId of 16 digits', vary: (m) => (parametersOf(m)._umsClientId = `${CUSTOMER}12345`), status: 400, faultCode: 1011, names: '_umsClientId' },
  { title: '_umsClientId as a list', vary: (m) => (parametersOf(m)._umsClientId = { Number: CUSTOMER }), status: 400, faultCode: 1011, names: '_umsClientId' },
  { title: 'an unknown _umsChannel', vary: (m) => (parametersOf(m)._umsChannel = 'telegram-main'), status: 400, faultCode: 1012, names: '_umsChannel' },
  { title: "another tenant's _umsChannel", vary: (m) => (parametersOf(m)._umsChannel = 'whatsapp-t2'), status: 400, faultCode: 1012, names: '_umsChannel' },
  { title: 'no _umsChannel while the tenant has several', vary: (m) => delete parametersOf(m)._umsChannel, status: 400, faultCode: 1012, names: '_umsChannel' },
  { title: 'a _umsBusinessId of another channel', vary: (m) => (parametersOf(m)._umsBusinessId = '+15550003333'), status: 400, faultCode: 1013, names: '_umsBusinessId' },
  { title: 'a _umsBusinessId given as an integer', vary: (m) => (parametersOf(m)._umsBusinessId = 15550001111), status: 400, faultCode: 1013, names: '_umsBusinessId' },
  { title: 'an unknown StandardResponseId', vary: (m) => (parametersOf(m).StandardResponseId = 'no_such_template'), status: 400, faultCode: 1020, names: 'StandardResponseId' },
  { title: 'an Apple-only StandardResponseId on WhatsApp', vary: (m) => (parametersOf(m).StandardResponseId = 'apple_list_picker'), status: 400, faultCode: 1020 },
  { title: 'a ChatQueueKey without tenant', vary: (m) => (parametersOf(m).ChatQueueKey = 'session-WA-sendSR'), status: 400, faultCode: 1011, names: 'ChatQueueKey' },
  { title: "a ChatQueueKey of another tenant", vary: (m) => (parametersOf(m).ChatQueueKey = '2:session-WA-sendSR'), status: 403, faultCode: 1041, names: 'ChatQueueKey' },
  { title: 'TerminateSessionFlag neither true nor false', vary: (m) => (parametersOf(m).TerminateSessionFlag = 'maybe'), status: 400, faultCode: 1011, names: 'TerminateSessionFlag' },
  { title: 'Contact as a single value', vary: (m) => (parametersOf(m).Contact = MARKER_NAME), status: 400, faultCode: 1011, names: 'Contact' },
  { title: 'a field code without a value', vary: (m) => delete (parametersOf(m).CustomProperties as EspList).OrderId, status: 400, faultCode: 1021, names: 'OrderId' },
  { title: 'no UserData for an AttachedData field code', vary: (m) => delete m.userData, status: 400, faultCode: 1021, names: 'StoreName' },
  { title: 'five spaces in a row in a WhatsApp text parameter', vary: (m) => ((parametersOf(m).CustomProperties as EspList).OrderId = 'A     1042'), status: 400, faultCode: 1021 },
  { title: 'a phone number on Apple without invitations (cold start)', vary: (m) => Object.assign(parametersOf(m), { _umsChannel: 'apple-main', _umsBusinessId: APPLE_BUSINESS_ID, StandardResponseId: 'apple_list_picker' }), status: 400, faultCode: 1022 },
  { title: 'a ReferenceId over 32 bits', vary: (m) => (m.referenceId = 4_294_967_296), status: 400, faultCode: 1001, names: 'ReferenceId' },
  { title: 'a 20-digit ReferenceId', vary: (m) => (m.referenceId = '12345678901234567890'), status: 400, faultCode: 1001, names: 'ReferenceId' },
];

/** How the key is presented: each case sends a valid invite in each wire form. */
const AUTH_SCHEMES: Array<{ title: string; headers: Record<string, string>; status: number; faultCode?: number }> = [
  { title: 'Bearer key', headers: { Authorization: `Bearer ${TENANT1_KEY}` }, status: 200 },
  { title: 'lower-case bearer', headers: { Authorization: `bearer ${TENANT1_KEY}` }, status: 200 },
  { title: 'X-Api-Key', headers: { 'X-Api-Key': TENANT1_KEY }, status: 200 },
  { title: 'no key at all', headers: {}, status: 401, faultCode: 1040 },
  { title: 'an unknown Bearer key', headers: { Authorization: 'Bearer not-a-key' }, status: 401, faultCode: 1040 },
  { title: 'an unknown X-Api-Key', headers: { 'X-Api-Key': 'not-a-key' }, status: 401, faultCode: 1040 },
  { title: 'Basic credentials', headers: { Authorization: `Basic ${Buffer.from(`user:${TENANT1_KEY}`).toString('base64')}` }, status: 401, faultCode: 1040 },
  { title: 'the key without a scheme', headers: { Authorization: TENANT1_KEY }, status: 401, faultCode: 1040 },
  { title: 'Bearer with nothing after it', headers: { Authorization: 'Bearer ' }, status: 401, faultCode: 1040 },
  { title: "tenant 2's key for tenant 1's channel", headers: { Authorization: `Bearer ${TENANT2_KEY}` }, status: 400, faultCode: 1012 },
];

/** Bodies no wire form can read, per Content-Type: fault 1001, the service unharmed. */
const UNREADABLE: Array<{ title: string; contentType: string; body: string | Buffer; status?: number; names?: string }> = [
  { title: 'an empty JSON body', contentType: 'application/json', body: '' },
  { title: 'a JSON body cut short', contentType: 'application/json', body: `{"Request":{"Parameters":{"_umsClientId":"${CUSTOMER}"` },
  { title: 'a JSON array', contentType: 'application/json', body: '[]' },
  { title: 'JSON null', contentType: 'application/json', body: 'null' },
  { title: 'a JSON string', contentType: 'application/json', body: `"${CUSTOMER}"` },
  { title: 'JSON without Request', contentType: 'application/json', body: '{"ReferenceId":7}' },
  { title: 'a JSON Request that is a string', contentType: 'application/json', body: '{"Request":"InviteToChat"}' },
  { title: 'a JSON Request that is an array', contentType: 'application/json', body: '{"Request":[1,2]}' },
  { title: 'JSON UserData that is a number', contentType: 'application/json', body: '{"Request":{},"UserData":5}' },
  { title: 'text after the JSON value', contentType: 'application/json', body: `{"Request":{}} {"_umsClientId":"${CUSTOMER}"}` },
  { title: 'a single quote JSON', contentType: 'application/json', body: `{'Request':{'_umsClientId':'${CUSTOMER}'}}` },
  { title: 'JSON nested 100,000 deep', contentType: 'application/json', body: `{"Request":${'['.repeat(100_000)}${']'.repeat(100_000)}}` },
  { title: 'JSON objects nested 20,000 deep', contentType: 'application/json', body: `{"Request":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}` },
  { title: 'a NUL byte in a JSON string', contentType: 'application/json', body: `{"Request":{"AppName":"IVR\u0000Main"}}` },
  { title: 'a ReferenceId that is text', contentType: 'application/json', body: '{"ReferenceId":"seven","Request":{}}', names: 'ReferenceId' },
  { title: 'a ReferenceId with a fraction', contentType: 'application/json', body: '{"ReferenceId":7.5,"Request":{}}', names: 'ReferenceId' },
  { title: 'a raw line break inside a JSON string', contentType: 'application/json', body: '{"Request":{"AppName":"IVR\nMain"}}' },
  { title: 'not XML at all', contentType: 'application/xml', body: `_umsClientId=${CUSTOMER}` },
  { title: 'an XML body cut short', contentType: 'application/xml', body: `<Request3rdServer><Request><kvitem><key>_umsClientId</key><value><ValueString>${CUSTOMER}` },
  { title: 'XML with a second root', contentType: 'application/xml', body: '<Request3rdServer><Request></Request></Request3rdServer><Request3rdServer/>' },
  { title: 'XML with another root element', contentType: 'text/xml', body: '<Envelope><Request></Request></Envelope>' },
  { title: 'XML without Request', contentType: 'application/xml', body: '<Request3rdServer><ReferenceId>7</ReferenceId></Request3rdServer>' },
  { title: 'XML with an external entity', contentType: 'application/xml', body: `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><Request3rdServer><Request><kvitem><key>AppName</key><value><ValueString>&x;</ValueString></value></kvitem></Request></Request3rdServer>` },
  { title: 'XML with an entity expansion bomb', contentType: 'application/xml', body: `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><Request3rdServer><Request><kvitem><key>AppName</key><value><ValueString>&c;</ValueString></value></kvitem></Request></Request3rdServer>` },
  { title: 'XML ValueList nested 3,000 deep (within the size limit)', contentType: 'application/xml', body: `<Request3rdServer><Request>${'<kvitem><key>k</key><value><ValueList>'.repeat(3_000)}${'</ValueList></value></kvitem>'.repeat(3_000)}</Request></Request3rdServer>` },
  { title: 'a NUL byte in XML', contentType: 'application/xml', body: '<Request3rdServer><Request><kvitem><key>AppName</key><value><ValueString>IVR\u0000</ValueString></value></kvitem></Request></Request3rdServer>' },
  { title: 'a ValueInt that is not a number', contentType: 'application/xml', body: '<Request3rdServer><ReferenceId>7</ReferenceId><Request><kvitem><key>AppType</key><value><ValueInt>abc</ValueInt></value></kvitem></Request></Request3rdServer>' },
  { title: 'an XML ReferenceId of 20 digits', contentType: 'application/xml', body: '<Request3rdServer><ReferenceId>12345678901234567890</ReferenceId><Request></Request></Request3rdServer>', names: 'ReferenceId' },
  { title: 'log text without any Request3rdServer', contentType: 'text/plain', body: `hello, please invite ${CUSTOMER}` },
  { title: 'a log header with no attributes', contentType: 'text/plain', body: "12:00:01.123 Trc 04541 Message Request3rdServer sent to 'DMS_01'\n" },
  { title: 'a log block with garbage lines', contentType: 'text/plain', body: `12:00:01.123 Trc 04541 Message Request3rdServer sent to 'DMS_01'\n\t%%%%\n\t\t'_umsClientId' ${CUSTOMER}\n` },
  { title: 'a typed log block never closed', contentType: 'text/plain', body: `12:00:01.123 Sending to 'DMS_01': 'Request3rdServer' (\n\t'Request' [list] =\n\t\t'AppName' [str] = "IVR` },
  { title: 'log lists nested 500 deep (within the size limit)', contentType: 'text/plain', body: `12:00:01.123 Trc 04541 Message Request3rdServer sent to 'DMS_01'\n\tAttributeRequest\t[1] 00\n${Array.from({ length: 500 }, (_, depth) => `${'\t'.repeat(depth + 2)}'k'(list)`).join('\n')}\n` },
  { title: 'a NUL byte in log text', contentType: 'text/plain', body: "12:00:01.123 Trc 04541 Message Request3rdServer sent to 'DMS_01'\n\tAttributeRequest\t[1] 00\n\t\t'AppName'\t'IVR\u0000'\n" },
  { title: 'binary noise', contentType: 'application/octet-stream', body: Buffer.from([0, 255, 254, 1, 2, 3, 0x1f, 0x8b]), status: 415 },
  { title: 'a form-urlencoded body', contentType: 'application/x-www-form-urlencoded', body: `_umsClientId=${encodeURIComponent(CUSTOMER)}`, status: 415 },
  { title: 'a multipart body', contentType: 'multipart/form-data; boundary=x', body: `--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n${CUSTOMER}\r\n--x--\r\n`, status: 415 },
  { title: 'text/html', contentType: 'text/html', body: `<p>${CUSTOMER}</p>`, status: 415 },
  { title: 'an unknown charset', contentType: 'application/json; charset=klingon-8', body: '{"Request":{}}', status: 415 },
];

describe('hostile POST /esp', () => {
  let hostile: HostileGateway;
  beforeAll(async () => {
    hostile = await startHostileGateway('hostile-esp');
  });
  afterAll(async () => {
    await hostile?.close();
  });

  const run = (hostileCase: HostileCase) => async () => expectContractAnswer(hostileCase, await hostileCase.send(hostile.server, hostile.port));
  const expectAlive = async () => {
    expect((await request(hostile.server).get('/livez')).status).toBe(200);
    expect((await request(hostile.server).get('/readyz')).status).toBe(200);
  };
  const post = (form: WireForm, message: EspMessage, headers: Record<string, string> = { Authorization: `Bearer ${TENANT1_KEY}` }) =>
    async () => answerOf(await request(hostile.server).post('/esp').set(headers).set('Content-Type', form.contentType).send(form.write(message)));

  describe.each(WIRE_FORMS)('InviteToChat in the $name form', (form) => {
    const cases: HostileCase[] = VARIANTS.map((variant) => {
      const message = validInvite();
      variant.vary(message);
      return { ...variant, send: post(form, message), check: variant.status === 200 ? sessionIdAnswered : undefined };
    });
    it.each(titled(cases))('%s', (_title, hostileCase) => run(hostileCase)());
    it('the service is still healthy after this batch', expectAlive);
  });

  describe.each(WIRE_FORMS)('how the API key is presented, $name form', (form) => {
    const cases: HostileCase[] = AUTH_SCHEMES.map((scheme) => ({ ...scheme, send: post(form, validInvite(), scheme.headers) }));
    it.each(titled(cases))('%s', (_title, hostileCase) => run(hostileCase)());
    it('the service is still healthy after this batch', expectAlive);
  });

  describe('bodies no wire form can read (fault 1001)', () => {
    const cases: HostileCase[] = UNREADABLE.map(({ title, contentType, body, status, names }) => ({
      title: `${title} (${contentType})`,
      status: status ?? 400,
      faultCode: 1001,
      names,
      send: async (server) => answerOf(await request(server).post('/esp').set('Authorization', `Bearer ${TENANT1_KEY}`).set('Content-Type', contentType).send(body)),
    }));
    it.each(titled(cases))('%s', (_title, hostileCase) => run(hostileCase)());
    it('the service is still healthy after this batch', expectAlive);
  });

  describe('headers and framing', () => {
    const json = WIRE_FORMS[0]!.write(validInvite());
    const xml = WIRE_FORMS[1]!.write(validInvite());
    const auth = { Authorization: `Bearer ${TENANT1_KEY}` };
    const send = (headers: Record<string, string>, body: string | Buffer, query = '') => async (server: HostileGateway['server']) =>
      answerOf(await request(server).post(`/esp${query}`).set(auth).set(headers).send(body));
    const head = (length: number | string, extra = '') =>
      `POST /esp HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TENANT1_KEY}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n${extra}\r\n`;
    /** Encoded bodies go over a raw socket: supertest would re-serialise a Buffer sent as JSON. */
    const encoded = (encoding: string, body: Buffer) => async (_server: unknown, port: number) =>
      rawExchange(port, Buffer.concat([Buffer.from(head(body.length, `Content-Encoding: ${encoding}\r\n`)), body]));
    const replyIsXml = (answer: Answer) => expect(answer.text).toMatch(/^<\?xml|^<Event3rdServer/);
    const replyIsJson = (answer: Answer) => expect(() => JSON.parse(answer.text)).not.toThrow();
    const cases: HostileCase[] = [
      { title: 'application/json with charset=utf-8', status: 200, send: send({ 'Content-Type': 'application/json; charset=utf-8' }, json) },
      { title: 'APPLICATION/JSON in capitals', status: 200, send: send({ 'Content-Type': 'APPLICATION/JSON' }, json) },
      { title: 'a +json vendor type', status: 200, send: send({ 'Content-Type': 'application/vnd.genesys+json' }, json) },
      { title: 'text/xml', status: 200, send: send({ 'Content-Type': 'text/xml' }, xml) },
      { title: 'JSON sent as application/xml', status: 400, faultCode: 1001, send: send({ 'Content-Type': 'application/xml' }, json) },
      { title: 'XML sent as application/json', status: 400, faultCode: 1001, send: send({ 'Content-Type': 'application/json' }, xml) },
      { title: 'no Content-Type', status: 415, faultCode: 1001, send: async (server) => answerOf(await request(server).post('/esp').set(auth).send(Buffer.from(json))) },
      { title: 'XML answered in JSON when Accept asks for JSON', status: 200, check: replyIsJson, send: send({ 'Content-Type': 'application/xml', Accept: 'application/json' }, xml) },
      { title: 'JSON answered in XML when Accept asks for XML', status: 200, check: replyIsXml, send: send({ 'Content-Type': 'application/json', Accept: 'application/xml' }, json) },
      { title: 'a fault answered in XML when Accept asks for XML', status: 400, faultCode: 1001, check: replyIsXml, send: send({ 'Content-Type': 'application/json', Accept: 'application/xml' }, '{') },
      { title: 'Accept */*', status: 200, send: send({ 'Content-Type': 'application/json', Accept: '*/*' }, json) },
      { title: 'a gzip-encoded body', status: 200, send: encoded('gzip', gzipSync(json)) },
      { title: 'a deflate-encoded body', status: 200, send: encoded('deflate', deflateSync(json)) },
      { title: 'Content-Encoding gzip on a plain body', status: 400, faultCode: 1001, send: encoded('gzip', Buffer.from(json)) },
      { title: 'an unknown Content-Encoding', status: 415, faultCode: 1001, send: encoded('bogus', Buffer.from(json)) },
      { title: 'a gzip bomb over the body limit', status: 413, faultCode: 1001, send: encoded('gzip', gzipSync(`{"Request":{"AppName":"${'a'.repeat(5_000_000)}"}}`)) },
      { title: 'a body over limits.bodyBytes', status: 413, faultCode: 1001, send: send({ 'Content-Type': 'application/json' }, `{"Request":{"AppName":"${'a'.repeat(300_000)}"}}`) },
      { title: 'an XML body over limits.bodyBytes', status: 413, faultCode: 1001, send: send({ 'Content-Type': 'application/xml' }, `<Request3rdServer>${' '.repeat(300_000)}</Request3rdServer>`) },
      { title: 'a huge Content-Length', status: 413, faultCode: 1001, send: async (_server, port) => rawExchange(port, head('99999999999999', '') ) },
      { title: 'a Content-Length over the limit with a short body', status: 413, faultCode: 1001, send: async (_server, port) => rawExchange(port, head(1_000_000) + json ) },
      { title: 'a Content-Length that is not a number', status: 400, send: async (_server, port) => rawExchange(port, head('abc') + json) },
      { title: 'a body longer than its Content-Length (the rest is no request)', status: 400, send: async (_server, port) => rawExchange(port, head(10) + json) },
      { title: 'Content-Length and Transfer-Encoding together', status: 400, send: async (_server, port) => rawExchange(port, head(Buffer.byteLength(json), 'Transfer-Encoding: chunked\r\n') + json) },
      { title: 'a chunked body', status: 200, check: sessionIdAnswered, send: async (_server, port) => rawExchange(port, `POST /esp HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TENANT1_KEY}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${Buffer.byteLength(json).toString(16)}\r\n${json}\r\n0\r\n\r\n`) },
      { title: 'a malformed chunk size', status: 400, send: async (_server, port) => rawExchange(port, `POST /esp HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TENANT1_KEY}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n${json}\r\n0\r\n\r\n`) },
      { title: 'a request line in HTTP/1.0 with a body', status: 200, send: async (_server, port) => rawExchange(port, `POST /esp HTTP/1.0\r\nAuthorization: Bearer ${TENANT1_KEY}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`) },
      { title: 'a header section over 16 KB', status: 431, send: async (_server, port) => rawExchange(port, `POST /esp HTTP/1.1\r\nHost: x\r\nX-Padding: ${'p'.repeat(20_000)}\r\nContent-Length: 0\r\n\r\n`) },
      { title: 'X-Dry-Run: true', status: 200, echoesRendering: true, check: (answer) => expect(answer.text).toContain('_umsDryRun'), send: send({ 'Content-Type': 'application/json', 'X-Dry-Run': 'true' }, json) },
      { title: '?dryRun=true', status: 200, echoesRendering: true, check: (answer) => expect(answer.text).toContain('_umsDryRun'), send: send({ 'Content-Type': 'application/json' }, json, '?dryRun=true') },
      { title: 'a repeated dryRun query', status: 200, send: send({ 'Content-Type': 'application/json' }, json, '?dryRun=true&dryRun=true') },
      {
        title: 'an Idempotency-Key reused with another request',
        status: 409,
        faultCode: 1030,
        send: async (server) => {
          const other = WIRE_FORMS[0]!.write({ ...validInvite(), userData: { StoreName: 'Elm St' } });
          await request(server).post('/esp').set(auth).set({ 'Content-Type': 'application/json', 'Idempotency-Key': 'hostile-1' }).send(json);
          return answerOf(await request(server).post('/esp').set(auth).set({ 'Content-Type': 'application/json', 'Idempotency-Key': 'hostile-1' }).send(other));
        },
      },
      { title: 'an Idempotency-Key of 10,000 characters', status: 200, send: send({ 'Content-Type': 'application/json', 'Idempotency-Key': 'k'.repeat(10_000) }, json) },
    ];
    it.each(titled(cases))('%s', (_title, hostileCase) => run(hostileCase)());
    it('the service is still healthy after this batch', expectAlive);
  });

  it('nothing the gateway logged carries the customer number or text', () => expectLogsClean(hostile.logs));
});
