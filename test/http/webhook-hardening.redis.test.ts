import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listKeys } from '../support/redis.js';
import { jsonInvite } from '../support/invites.js';
import {
  appleSecret,
  phoneNumberId,
  postApple,
  postSinch,
  postWhatsApp,
  sinchAppId,
  sinchReport,
  sinchSecret,
  startWebhookTestBed,
  tenantKey,
  waSecret,
  whatsappStatuses,
  type WebhookTestBed,
} from '../support/provider-webhooks.js';

/** A tolerance below the 300 s default, so the tests also show the configured value is the one used. */
const TOLERANCE_SECONDS = 120;

describe('provider webhooks: tenants, replays and shapes', () => {
  let bed: WebhookTestBed;

  beforeAll(async () => {
    bed = await startWebhookTestBed('webhookhard', { webhookToleranceSeconds: TOLERANCE_SECONDS });
  });
  afterAll(async () => {
    await bed?.close();
  });

  const wamidOf = (clientId: string) => bed.whatsapp.sendsTo(clientId)[0]!.wamid!;

  /** Everything a report could change: the session hash and history, suppressions and remembered reports. */
  async function redisState(sessionId: string) {
    const { redis, prefix } = bed.gateway;
    const [session, history, keys] = await Promise.all([
      redis.hgetall(`${prefix}:session:${sessionId}`),
      redis.lrange(`${prefix}:session:${sessionId}:history`, 0, -1),
      listKeys(redis, prefix),
    ]);
    return { session, history, remembered: keys.filter((key) => /:(suppressed|reportseen):/.test(key)).sort() };
  }

  async function metric(name: string, labels: string): Promise<number> {
    const text = (await request(bed.app).get('/metrics')).text;
    const line = text.split('\n').find((entry) => entry.startsWith(`${name}{${labels}}`));
    return line ? Number(line.split(' ').pop()) : 0;
  }

  describe('a report changes only what belongs to the channel whose secret signed it', () => {
    it("a WhatsApp status signed with tenant 9's app secret does not move tenant 7's session, whatever number it names", async () => {
      const sent = await bed.inviteSent(7, 'wa', '+15557000001');
      const wamid = wamidOf('+15557000001');
      for (const number of [phoneNumberId(9), phoneNumberId(7)]) {
        const answer = await postWhatsApp(bed.app, whatsappStatuses(number, [{ id: wamid, status: 'read' }]), waSecret(9));
        expect(answer.status).toBe(200);
        expect(answer.body).toMatchObject({ received: 1, applied: 0, unknown: 1 });
      }
      expect((await bed.session(7, sent.sessionId)).delivery).toBe('sent');
      // Tenant 7's own secret and number do move it.
      expect((await postWhatsApp(bed.app, whatsappStatuses(phoneNumberId(7), [{ id: wamid, status: 'read' }]), waSecret(7))).body).toMatchObject({ applied: 1 });
      expect((await bed.session(7, sent.sessionId)).delivery).toBe('read');
    });

    it("a 131050 failure signed with tenant 9's app secret neither fails tenant 7's invite nor suppresses its recipient", async () => {
      const sent = await bed.inviteSent(7, 'wa', '+15557000002');
      const optOut = whatsappStatuses(phoneNumberId(7), [{ id: wamidOf('+15557000002'), status: 'failed', errors: [{ code: 131050, title: 'User stopped marketing messages' }] }]);
      expect((await postWhatsApp(bed.app, optOut, waSecret(9))).status).toBe(200);
      expect(await bed.session(7, sent.sessionId)).toMatchObject({ delivery: 'sent', error: null });
      const again = await request(bed.app)
        .post('/esp')
        .set('X-Api-Key', tenantKey(7))
        .send(jsonInvite({ parameters: { _umsChannel: 'wa-7', _umsBusinessId: '+15550007001', _umsClientId: '+15557000002' } }));
      expect(again.status, again.text).toBe(200);
    });

    it("a Sinch report signed with tenant 9's callback secret does not move tenant 7's session, whichever app_id it names", async () => {
      const sent = await bed.inviteSent(7, 'sinch', '+15557000003');
      for (const appId of [sinchAppId(9), sinchAppId(7)]) {
        const answer = await postSinch(bed.app, sinchReport(appId, sent.providerMessageId, 'READ'), sinchSecret(9));
        expect(answer.body).toMatchObject({ received: 1, applied: 0, unknown: 1 });
      }
      // Tenant 7's secret with tenant 9's app id: the report names another channel than the one that signed it.
      expect((await postSinch(bed.app, sinchReport(sinchAppId(9), sent.providerMessageId, 'READ'), sinchSecret(7))).body).toMatchObject({ applied: 0, unknown: 1 });
      expect((await bed.session(7, sent.sessionId)).delivery).toBe('sent');
      expect((await postSinch(bed.app, sinchReport(sinchAppId(7), sent.providerMessageId, 'READ'), sinchSecret(7))).body).toMatchObject({ applied: 1 });
      expect((await bed.session(7, sent.sessionId)).delivery).toBe('read');
    });

    it("an Apple MSP report signed with tenant 9's secret does not move tenant 7's session", async () => {
      const sent = await bed.inviteSent(7, 'apple', 'urn:mbid:AQAAY-tenant7-1');
      const report = { id: sent.providerMessageId, status: 'failed', destinationId: 'urn:mbid:AQAAY-tenant7-1', code: 131050 };
      expect((await postApple(bed.app, report, appleSecret(9))).body).toMatchObject({ applied: 0, unknown: 1 });
      expect(await bed.session(7, sent.sessionId)).toMatchObject({ delivery: 'sent', error: null });
      expect((await postApple(bed.app, { ...report, status: 'read' }, appleSecret(7))).body).toMatchObject({ applied: 1 });
      expect((await bed.session(7, sent.sessionId)).delivery).toBe('read');
    });
  });

  it('a message indexed by an earlier version (unscoped key) is still found, but only for its own channel', async () => {
    const sent = await bed.inviteSent(7, 'apple', 'urn:mbid:AQAAY-tenant7-legacy');
    const { redis, prefix } = bed.gateway;
    await redis.del(`${prefix}:providermsg:7:apple-7:${sent.providerMessageId}`);
    await redis.set(`${prefix}:providermsg:${sent.providerMessageId}`, sent.sessionId, 'EX', 600);
    const report = { id: sent.providerMessageId, status: 'read', destinationId: 'urn:mbid:AQAAY-tenant7-legacy' };
    expect((await postApple(bed.app, report, appleSecret(9))).body).toMatchObject({ applied: 0, unknown: 1 });
    expect((await bed.session(7, sent.sessionId)).delivery).toBe('sent');
    expect((await postApple(bed.app, report, appleSecret(7))).body).toMatchObject({ applied: 1 });
    expect((await bed.session(7, sent.sessionId)).delivery).toBe('read');
  });

  describe('a request without a signature', () => {
    const unsigned = (path: string, payload: unknown, headers: Record<string, string> = {}) =>
      request(bed.app).post(path).set('Content-Type', 'application/json').set(headers).send(JSON.stringify(payload));

    it('/webhooks/whatsapp: no X-Hub-Signature-256, or an empty one, is 401 and changes nothing', async () => {
      const sent = await bed.inviteSent(7, 'wa', '+15557000006');
      const before = await redisState(sent.sessionId);
      const statuses = whatsappStatuses(phoneNumberId(7), [{ id: wamidOf('+15557000006'), status: 'read' }]);
      const headerCases: Array<Record<string, string>> = [{}, { 'X-Hub-Signature-256': '' }, { 'X-Hub-Signature-256': 'sha256=' }];
      for (const headers of headerCases) {
        const answer = await unsigned('/webhooks/whatsapp', statuses, headers);
        expect([answer.status, answer.body]).toEqual([401, { error: 'bad or missing X-Hub-Signature-256', code: 'bad_signature' }]);
      }
      expect(await redisState(sent.sessionId)).toEqual(before);
      expect((await bed.session(7, sent.sessionId)).delivery).toBe('sent');
    });

    it('/webhooks/apple and /webhooks/sinch: no signature headers is 401 and changes nothing', async () => {
      const apple = await bed.inviteSent(7, 'apple', 'urn:mbid:AQAAY-unsigned');
      const sinch = await bed.inviteSent(7, 'sinch', '+15557000007');
      const before = [await redisState(apple.sessionId), await redisState(sinch.sessionId)];
      const appleAnswer = await unsigned('/webhooks/apple', { id: apple.providerMessageId, status: 'read', destinationId: 'urn:mbid:AQAAY-unsigned' });
      const sinchAnswer = await unsigned('/webhooks/sinch', sinchReport(sinchAppId(7), sinch.providerMessageId, 'READ'));
      expect([appleAnswer.status, sinchAnswer.status]).toEqual([401, 401]);
      expect([await redisState(apple.sessionId), await redisState(sinch.sessionId)]).toEqual(before);
    });
  });

  describe('replays', () => {
    it('a correctly signed Sinch callback with a timestamp outside the window is 401 and changes nothing', async () => {
      const sent = await bed.inviteSent(7, 'sinch', '+15557000004');
      const before = await redisState(sent.sessionId);
      const report = sinchReport(sinchAppId(7), sent.providerMessageId, 'READ');
      const now = Math.floor(Date.now() / 1_000);
      for (const timestamp of [1_577_836_800 /* 2020-01-01 */, now - TOLERANCE_SECONDS - 60, now + TOLERANCE_SECONDS + 60]) {
        const answer = await postSinch(bed.app, report, sinchSecret(7), timestamp);
        expect(answer.status).toBe(401);
        expect(answer.body.error).toMatch(/more than 120 s away from now/);
      }
      expect(await redisState(sent.sessionId)).toEqual(before);
      expect((await postSinch(bed.app, report, sinchSecret(7), now - 30)).status).toBe(200);
    });

    it('an X-Invite-Signature outside the window, of any age, is 401 on /webhooks/apple and changes nothing', async () => {
      const sent = await bed.inviteSent(7, 'apple', 'urn:mbid:AQAAY-tenant7-2');
      const before = await redisState(sent.sessionId);
      const report = { id: sent.providerMessageId, status: 'read', destinationId: 'urn:mbid:AQAAY-tenant7-2' };
      for (const offsetSeconds of [-(TOLERANCE_SECONDS + 60), -86_400 * 365 * 6, TOLERANCE_SECONDS + 60]) {
        const answer = await postApple(bed.app, report, appleSecret(7), Date.now() + offsetSeconds * 1_000);
        expect(answer.status).toBe(401);
        expect(answer.body.error).toMatch(/more than 120 s away from now/);
      }
      expect(await redisState(sent.sessionId)).toEqual(before);
      expect((await postApple(bed.app, report, appleSecret(7), Date.now() - 30_000)).status).toBe(200);
      expect((await bed.session(7, sent.sessionId)).delivery).toBe('read');
    });

    it('a replayed WhatsApp status batch changes nothing and is counted as duplicates', async () => {
      const sent = await bed.inviteSent(7, 'wa', '+15557000005');
      const batch = whatsappStatuses(phoneNumberId(7), [
        { id: wamidOf('+15557000005'), status: 'delivered' },
        { id: wamidOf('+15557000005'), status: 'read' },
      ]);
      const duplicatesBefore = await metric('invite_gateway_webhook_reports_total', 'provider="whatsapp",result="duplicate"');
      expect((await postWhatsApp(bed.app, batch, waSecret(7))).body).toMatchObject({ received: 2, applied: 2, duplicates: 0 });
      const afterFirst = await redisState(sent.sessionId);
      expect(afterFirst.session.delivery).toBe('read');

      const replay = await postWhatsApp(bed.app, batch, waSecret(7));
      expect(replay.status).toBe(200);
      expect(replay.body).toMatchObject({ received: 2, applied: 0, duplicates: 2 });
      expect(await redisState(sent.sessionId)).toEqual(afterFirst);
      expect(await metric('invite_gateway_webhook_reports_total', 'provider="whatsapp",result="duplicate"')).toBe(duplicatesBefore + 2);
    });
  });

  describe('a body of the wrong shape is 400 naming the field, and changes nothing', () => {
    // Each body holds a valid `read` for the session first, so applying anything before reading the whole body would show.
    const validStatus = (wamid: string) => ({ id: wamid, status: 'read', timestamp: '1795400000', recipient_id: '15551234001' });
    const withValue = (wamid: string, value: Record<string, unknown>) => ({ entry: [{ id: 'WABA', changes: [{ field: 'messages', value: { metadata: { phone_number_id: phoneNumberId(7) }, ...value } }] }] });
    const WHATSAPP_CASES: Array<[string, (wamid: string) => unknown, string]> = [
      ['entry a string', () => ({ entry: 'x' }), 'entry must be an array'],
      ['entry [null]', () => ({ entry: [null] }), 'entry[0] must be an object'],
      ['entry missing', () => ({ object: 'whatsapp_business_account' }), 'entry is required'],
      ['changes a string', () => ({ entry: [{ id: 'WABA', changes: 'x' }] }), 'entry[0].changes must be an array'],
      ['statuses not an array', (wamid) => withValue(wamid, { statuses: { 0: validStatus(wamid) } }), 'entry[0].changes[0].value.statuses must be an array'],
      ['a status null', (wamid) => withValue(wamid, { statuses: [validStatus(wamid), null] }), 'entry[0].changes[0].value.statuses[1] must be an object'],
      ['status null', (wamid) => withValue(wamid, { statuses: [validStatus(wamid), { ...validStatus(wamid), status: null }] }), 'entry[0].changes[0].value.statuses[1].status must be a string'],
      ['an id not a string', (wamid) => withValue(wamid, { statuses: [validStatus(wamid), { ...validStatus(wamid), id: 42 }] }), 'entry[0].changes[0].value.statuses[1].id must be a string'],
      ['an error code not a number', (wamid) => withValue(wamid, { statuses: [validStatus(wamid), { ...validStatus(wamid), status: 'failed', errors: [{ code: '131050' }] }] }), 'entry[0].changes[0].value.statuses[1].errors[0].code must be a number'],
      ['phone_number_id not a string', (wamid) => ({ entry: [{ changes: [{ value: { metadata: { phone_number_id: 7 }, statuses: [validStatus(wamid)] } }] }] }), 'entry[0].changes[0].value.metadata.phone_number_id must be a string'],
      ['statuses without metadata', (wamid) => ({ entry: [{ changes: [{ value: { statuses: [validStatus(wamid)] } }] }] }), 'entry[0].changes[0].value.metadata is required with statuses or messages'],
      ['the body an array', () => [], 'the body must be an object'],
      ['not JSON', () => '{"entry": [', 'the body is not JSON'],
    ];

    it.each(WHATSAPP_CASES)('/webhooks/whatsapp: %s', async (_case, payload, problem) => {
      const clientId = `+1555700${String(1000 + WHATSAPP_CASES.findIndex(([name]) => name === _case)).slice(-4)}`;
      const sent = await bed.inviteSent(7, 'wa', clientId);
      const before = await redisState(sent.sessionId);
      const answer = await postWhatsApp(bed.app, payload(wamidOf(clientId)), waSecret(7));
      expect([answer.status, answer.body]).toEqual([400, { error: problem, code: 'bad_request' }]);
      expect(await redisState(sent.sessionId)).toEqual(before);
    });

    const SINCH_CASES: Array<[string, (messageId: string) => unknown, string]> = [
      ['app_id missing', (id) => ({ message_delivery_report: { message_id: id, status: 'READ' } }), 'app_id is required'],
      ['the report a string', () => ({ app_id: sinchAppId(7), message_delivery_report: 'READ' }), 'message_delivery_report must be an object'],
      ['message_id a number', () => ({ app_id: sinchAppId(7), message_delivery_report: { message_id: 5, status: 'READ' } }), 'message_delivery_report.message_id must be a string'],
      ['status null', (id) => ({ app_id: sinchAppId(7), message_delivery_report: { message_id: id, status: null } }), 'message_delivery_report.status must be a string'],
      ['reason a string', (id) => ({ app_id: sinchAppId(7), message_delivery_report: { message_id: id, status: 'FAILED', reason: 'gone' } }), 'message_delivery_report.reason must be an object'],
      ['message_id empty', () => ({ app_id: sinchAppId(7), message_delivery_report: { message_id: '', status: 'READ' } }), 'message_delivery_report.message_id must not be empty'],
    ];

    it.each(SINCH_CASES)('/webhooks/sinch: %s', async (_case, payload, problem) => {
      const sent = await bed.inviteSent(7, 'sinch', `+1555701${String(1000 + SINCH_CASES.findIndex(([name]) => name === _case)).slice(-4)}`);
      const before = await redisState(sent.sessionId);
      const answer = await postSinch(bed.app, payload(sent.providerMessageId), sinchSecret(7));
      expect([answer.status, answer.body]).toEqual([400, { error: problem, code: 'bad_request' }]);
      expect(await redisState(sent.sessionId)).toEqual(before);
    });

    const APPLE_CASES: Array<[string, (id: string) => unknown, string]> = [
      ['id a number', () => ({ id: 5, status: 'read' }), 'id must be a string'],
      ['status null', (id) => ({ id, status: null }), 'status must be a string'],
      ['status missing', (id) => ({ id }), 'status is required'],
      ['code a string', (id) => ({ id, status: 'failed', code: '131050' }), 'code must be a number'],
      ['the body a string', () => '"read"', 'the body must be an object'],
    ];

    it.each(APPLE_CASES)('/webhooks/apple: %s', async (_case, payload, problem) => {
      const sent = await bed.inviteSent(7, 'apple', `urn:mbid:AQAAY-shape-${APPLE_CASES.findIndex(([name]) => name === _case)}`);
      const before = await redisState(sent.sessionId);
      const answer = await postApple(bed.app, payload(sent.providerMessageId), appleSecret(7));
      expect([answer.status, answer.body]).toEqual([400, { error: problem, code: 'bad_request' }]);
      expect(await redisState(sent.sessionId)).toEqual(before);
    });
  });
});
