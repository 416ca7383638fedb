import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULTS } from '../../src/esp/faults.js';
import { APPLE_BUSINESS_ID, startTestGateway, TENANT1_KEY, TENANT2_KEY, testConfig, type TestGateway } from '../support/gateway.js';
import { jsonInvite } from '../support/invites.js';

/** Every row of the fault table of docs/protocol.md#faults, each triggered by a real request on real Redis. */
describe('ESP fault table', () => {
  let gateway: TestGateway;
  const seen = new Set<number>();

  beforeAll(async () => {
    const config = testConfig();
    config.tenants[0]!.channels[0]!.perRecipient = { max: 1, windowSeconds: 600 };
    gateway = await startTestGateway({ label: 'faults', config });
  });
  afterAll(async () => gateway?.dispose());

  async function post(body: unknown, options: { key?: string | null; contentType?: string; headers?: Record<string, string> } = {}) {
    let call = request(gateway.app!).post('/esp').set('Content-Type', options.contentType ?? 'application/json');
    if (options.key !== null) call = call.set('Authorization', `Bearer ${options.key ?? TENANT1_KEY}`);
    for (const [name, value] of Object.entries(options.headers ?? {})) call = call.set(name, value);
    return call.send(typeof body === 'string' ? body : JSON.stringify(body));
  }

  function expectFault(response: request.Response, code: number, httpStatus: number, faultString: RegExp) {
    expect(response.status).toBe(httpStatus);
    expect(response.body.Event).toBe('Event3rdServerFault');
    expect(response.body.Request.FaultCode).toBe(code);
    expect(response.body.Request.FaultString).toMatch(faultString);
    seen.add(code);
  }

  it('1001: when the body is not JSON, then the fault says so', async () => {
    expectFault(await post('{"ReferenceId": 7, "Request": {'), 1001, 400, /JSON/i);
  });

  it('1001: when there is no Request, then the fault names it and echoes the ReferenceId', async () => {
    const response = await post({ ReferenceId: 9 });
    expectFault(response, 1001, 400, /Request/);
    expect(response.body.ReferenceId).toBe(9);
  });

  it('1001 with 413: when the body is over the size limit', async () => {
    const huge = jsonInvite({ userData: { Blob: 'x'.repeat(300_000) } });
    expectFault(await post(huge), 1001, 413, /limit/);
  });

  it('1001 with 415: when the content type is not JSON, XML or log text', async () => {
    expectFault(await post('a=b', { contentType: 'application/x-www-form-urlencoded' }), 1001, 415, /Content-Type|content type/i);
  });

  it('1002: when the method is not InviteToChat', async () => {
    expectFault(await post(jsonInvite({ request: { Method: 'StartChat' } })), 1002, 400, /Method "StartChat"/);
  });

  it('1002: when the service is not ChatService', async () => {
    expectFault(await post(jsonInvite({ request: { Service: 'EmailService' } })), 1002, 400, /Service "EmailService"/);
  });

  it('1003: when neither AppName nor AppType is given', async () => {
    expectFault(await post(jsonInvite({ request: { AppName: undefined } })), 1003, 400, /AppName.*AppType/);
  });

  it('AppType alone is enough', async () => {
    const response = await post(jsonInvite({ request: { AppName: undefined, AppType: 171 } }));
    expect(response.status).toBe(200);
  });

  it('1010: when _umsClientId is missing, then the fault names it', async () => {
    expectFault(await post(jsonInvite({ parameters: { _umsClientId: undefined } })), 1010, 400, /_umsClientId is missing/);
  });

  it('1010: when _umsBusinessId is empty, then the fault names it', async () => {
    expectFault(await post(jsonInvite({ parameters: { _umsBusinessId: '  ' } })), 1010, 400, /_umsBusinessId is missing or empty/);
  });

  it.each([
    ['a bad phone number', { _umsClientId: '555-CALL-NOW' }, /_umsClientId is not a phone number/],
    ['a bad ChatQueueKey', { ChatQueueKey: 'session-WA-sendSR' }, /ChatQueueKey "session-WA-sendSR" must be <tenant-id>:<chat endpoint name>/],
    ['TerminateSessionFlag not true/false', { TerminateSessionFlag: 'yes' }, /TerminateSessionFlag "yes" must be true or false/],
    ['Contact given as a scalar', { Contact: 'Ana' }, /Contact must be a list/],
    ['CustomProperties given as a scalar', { CustomProperties: 'x' }, /CustomProperties must be a list/],
    ['Agent given as a scalar', { Agent: 5 }, /Agent must be a list/],
  ])('1011: when the request has %s, then the fault names the parameter', async (_case, parameters, faultString) => {
    expectFault(await post(jsonInvite({ parameters })), 1011, 400, faultString);
  });

  it('1012: when _umsChannel is unknown to the tenant', async () => {
    expectFault(await post(jsonInvite({ parameters: { _umsChannel: 'fax-main' } })), 1012, 400, /_umsChannel "fax-main" is not a channel of tenant 1/);
  });

  it("1012: when _umsChannel is another tenant's channel", async () => {
    expectFault(await post(jsonInvite({ parameters: { _umsChannel: 'whatsapp-t2' } })), 1012, 400, /"whatsapp-t2" is not a channel of tenant 1/);
  });

  it('1012: when _umsChannel is missing and the tenant has several channels', async () => {
    expectFault(await post(jsonInvite({ parameters: { _umsChannel: undefined } })), 1012, 400, /_umsChannel is missing and tenant 1 has 2 channels/);
  });

  it('_umsChannel may be left out when the tenant has one channel', async () => {
    const body = jsonInvite({ parameters: { _umsChannel: undefined, _umsBusinessId: '+15550002222' } });
    const response = await post(body, { key: TENANT2_KEY });
    expect(response.status).toBe(200);
    expect(response.body.Request._umsChatSessionId).toMatch(/^[0-9A-Za-z]{16}$/);
  });

  it('1013: when _umsBusinessId is not a number of the channel', async () => {
    expectFault(await post(jsonInvite({ parameters: { _umsBusinessId: '+15559999999' } })), 1013, 400, /_umsBusinessId "\+15559999999" is not a business id of channel whatsapp-main/);
  });

  it('1020: when StandardResponseId is unknown', async () => {
    expectFault(await post(jsonInvite({ parameters: { StandardResponseId: 'no_such_template' } })), 1020, 400, /no_such_template/);
  });

  it('1020: when the standard response is not usable on the channel (Apple list picker on WhatsApp)', async () => {
    expectFault(await post(jsonInvite({ parameters: { StandardResponseId: 'apple_list_picker' } })), 1020, 400, /apple_list_picker/);
  });

  it('1021: when a field code has no value, then the fault names the field code', async () => {
    const response = await post(jsonInvite({ parameters: { CustomProperties: { Track: 'A1042' } } }));
    expectFault(response, 1021, 400, /CustomProperties\.OrderId/);
  });

  it('1021: when a WhatsApp text parameter holds a newline', async () => {
    expectFault(await post(jsonInvite({ parameters: { CustomProperties: { OrderId: 'A-1\n042', Track: 'x' } } })), 1021, 400, /newline/);
  });

  it('1022: when an Apple invite goes to a phone number without appleInvitations (cold start)', async () => {
    const body = jsonInvite({ parameters: { _umsChannel: 'apple-main', _umsBusinessId: APPLE_BUSINESS_ID, StandardResponseId: 'apple_quick_reply' } });
    expectFault(await post(body), 1022, 400, /Apple Messages for Business may only write to a conversation the customer started/);
  });

  it('1022: when the recipient already got the channel per-recipient maximum', async () => {
    const body = jsonInvite({ parameters: { _umsClientId: '+15557770001' } });
    expect((await post(body)).status).toBe(200);
    expectFault(await post(body), 1022, 400, /already got 1 invite\(s\) on channel whatsapp-main within 600 s/);
  });

  it('1030: when an idempotency key is reused for a different request', async () => {
    const headers = { 'Idempotency-Key': 'fault-table-1030' };
    expect((await post(jsonInvite({ parameters: { _umsClientId: '+15557770002' } }), { headers })).status).toBe(200);
    expectFault(await post(jsonInvite({ parameters: { _umsClientId: '+15557770003' } }), { headers }), 1030, 409, /idempotency key was already used/);
  });

  it('1040: when no API key is sent', async () => {
    expectFault(await post(jsonInvite(), { key: null }), 1040, 401, /no API key/);
  });

  it('1040: when the API key is unknown', async () => {
    expectFault(await post(jsonInvite(), { key: 'not-a-key' }), 1040, 401, /not known/);
  });

  it("1041: when ChatQueueKey names another tenant's queue", async () => {
    expectFault(await post(jsonInvite({ parameters: { ChatQueueKey: '2:session-WA-sendSR' } })), 1041, 403, /ChatQueueKey "2:session-WA-sendSR" belongs to tenant 2/);
  });

  it('when several problems exist, then the first in the contract order is answered', async () => {
    // Unknown channel (1012) comes before a bad TerminateSessionFlag (1011) and an unknown template (1020).
    const body = jsonInvite({ parameters: { _umsChannel: 'nope', TerminateSessionFlag: 'maybe', StandardResponseId: 'nope' } });
    expectFault(await post(body), 1012, 400, /_umsChannel "nope"/);
  });

  it('when the business id is unknown and a parameter is malformed, then the business id (1013) is answered, not the format (1011)', async () => {
    // The contract order: channel and business id come before parameter formats.
    const malformed = [{ _umsClientId: 'not-a-number' }, { TerminateSessionFlag: 'maybe' }, { ChatQueueKey: 'no-tenant' }];
    for (const parameters of malformed) {
      expectFault(await post(jsonInvite({ parameters: { _umsBusinessId: '+15559999999', ...parameters } })), 1013, 400, /_umsBusinessId "\+15559999999"/);
    }
  });

  afterAll(() => {
    // 1050 (Redis down), 1099 (unexpected) and 1023 (a failed CRM lookup, enrichment.test.ts)
    // have files of their own.
    const covered = new Set([...seen, 1050, 1099, 1023]);
    const missing = Object.values(FAULTS).map((row) => row.code).filter((code) => !covered.has(code));
    expect(missing).toEqual([]);
  });
});
