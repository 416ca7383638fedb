import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TENANT1_KEY, WA_BUSINESS_ID, type TestGateway } from '../support/gateway.js';
import { listKeys } from '../support/redis.js';

/** Issue 15.7: check a campaign file before sending it (docs/protocol.md#campaigns). */
const auth = { authorization: `Bearer ${TENANT1_KEY}` };
/** order_ready needs OrderId, Track and StoreName; these give the two shared ones. */
const QUERY = new URLSearchParams({ name: 'check', _umsChannel: 'whatsapp-main', _umsBusinessId: WA_BUSINESS_ID, StandardResponseId: 'order_ready', 'CustomProperties.Track': 'T1', 'UserData.StoreName': 'Main St' }).toString();
const phone = (i: number) => `+1555900${String(i).padStart(4, '0')}`;

/** `count` rows; without the OrderId column unless `withOrderId`. Row 5's phone is bad, the last row repeats row 1. */
function csv(count: number, withOrderId: boolean): string {
  const header = withOrderId ? '_umsClientId,Contact.FirstName,CustomProperties.OrderId' : '_umsClientId,Contact.FirstName';
  const rows = Array.from({ length: count - 1 }, (_, i) => `${i === 4 ? 'not-a-phone' : phone(i)},Ana${withOrderId ? `,A-${i}` : ''}`);
  rows.push(rows[0]!);
  return [header, ...rows].join('\n') + '\n';
}

describe('campaign dry run and the upload check', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ label: 'campaign-dry-run', role: 'api' });
  });
  afterAll(async () => {
    await gateway.dispose();
  });

  const api = () => request(gateway.app!);
  const campaignKeys = () => listKeys(gateway.redis, `${gateway.prefix}:campaign`);
  /** The campaign records (their other keys come and go as a stored campaign runs). */
  const campaignRecords = async () => (await campaignKeys()).filter((key) => /:campaign:[^:]+$/.test(key)).sort();
  const sessionKeys = () => listKeys(gateway.redis, `${gateway.prefix}:session`);
  const postCsv = (query: string, body: string, headers: Record<string, string> = {}) => api().post(`/campaigns?${query}`).set(auth).set(headers).set('content-type', 'text/csv').send(body);

  it('reports every row of a CSV missing a needed column, the first 100 faults in row order, and stores nothing', async () => {
    const before = await listKeys(gateway.redis, gateway.prefix);
    const response = await postCsv(`${QUERY}&dryRun=true`, csv(150, false));
    expect(response.status, response.text).toBe(200);
    expect(response.body).toMatchObject({ rows: 150, wouldSend: 0, duplicate: 1, refused: 149 });
    expect(response.body.faults).toHaveLength(100);
    expect(response.body.faults.map((fault: { row: number }) => fault.row)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(response.body.faults[0]).toEqual({ row: 1, FaultCode: 1021, FaultString: 'field code <$CustomProperties.OrderId$> has no value' });
    expect(response.body.faults[4]).toMatchObject({ row: 5, FaultCode: 1011 });
    expect(response.text).not.toContain('5559000');
    expect(await campaignKeys()).toEqual([]);
    expect(await sessionKeys()).toEqual([]);
    // BullMQ's own bookkeeping keys come as its workers start; no job was added to any queue.
    const notBull = (keys: string[]) => keys.filter((key) => !key.startsWith(`${gateway.prefix}:bull:`) || /:\d+$|:[A-Za-z0-9]{16}$/.test(key)).sort();
    expect(notBull(await listKeys(gateway.redis, gateway.prefix))).toEqual(notBull(before));
  });

  it('counts what a good file would send, by query, by X-Dry-Run header and for JSON, and dryRun is not a shared parameter', async () => {
    const byQuery = await postCsv(`${QUERY}&dryRun=true`, csv(30, true));
    expect(byQuery.status, byQuery.text).toBe(200);
    expect(byQuery.body).toEqual({ rows: 30, wouldSend: 28, duplicate: 1, refused: 1, faults: [{ row: 5, FaultCode: 1011, FaultString: expect.stringMatching(/_umsClientId/) }] });
    const byHeader = await postCsv(QUERY, csv(30, true), { 'X-Dry-Run': 'true' });
    expect(byHeader.body).toEqual(byQuery.body);

    const json = await api()
      .post('/campaigns?dryRun=true')
      .set(auth)
      .send({ parameters: { _umsChannel: 'whatsapp-main', _umsBusinessId: WA_BUSINESS_ID, StandardResponseId: 'order_ready', CustomProperties: { Track: 'T' } }, UserData: { StoreName: 'S' }, recipients: [{ _umsClientId: phone(1), CustomProperties: { OrderId: 'J-1' } }, { _umsClientId: phone(2) }] });
    expect(json.status, json.text).toBe(200);
    expect(json.body).toMatchObject({ rows: 2, wouldSend: 1, refused: 1, faults: [{ row: 2, FaultCode: 1021 }] });
    expect(await campaignKeys()).toEqual([]);
    expect(await sessionKeys()).toEqual([]);

    // dryRun=false is a real upload, and the key is not one of its invites' parameters.
    const stored = await postCsv(`${QUERY}&dryRun=false`, csv(3, true));
    expect(stored.status, stored.text).toBe(202);
    const parameters = JSON.parse((await gateway.redis.hget(`${gateway.prefix}:campaign:${stored.body.campaignId}`, 'parameters'))!);
    expect(parameters).not.toHaveProperty('dryRun');
  });

  it('refuses a dryRun that is neither true nor false, so a typo never sends a campaign', async () => {
    const response = await postCsv(`${QUERY}&dryRun=yes`, csv(3, true));
    expect(response.status).toBe(400);
    expect(response.body.Request).toMatchObject({ FaultCode: 1011, FaultString: expect.stringMatching(/dryRun/) });
    const keysBefore = await campaignRecords();
    const header = await postCsv(QUERY, csv(3, true), { 'X-Dry-Run': '1' });
    expect(header.body.Request).toMatchObject({ FaultCode: 1011, FaultString: expect.stringMatching(/X-Dry-Run/) });
    expect(await campaignRecords()).toEqual(keysBefore);
  });

  it('refuses a real upload whole when no row can render, naming the missing column, and stores nothing', async () => {
    const keysBefore = await campaignRecords();
    const response = await postCsv(QUERY, csv(150, false));
    expect(response.status, response.text).toBe(400);
    expect(response.body.Request.FaultCode).toBe(1021);
    expect(response.body.Request.FaultString).toMatch(/<\$CustomProperties\.OrderId\$>.*no CustomProperties\.OrderId column.*every row would be refused/);
    expect(await campaignRecords()).toEqual(keysBefore);

    // A shared value missing: the attached-data field code names its UserData column.
    const noStore = await postCsv(QUERY.replace('&UserData.StoreName=Main+St', ''), csv(3, true));
    expect(noStore.status, noStore.text).toBe(400);
    expect(noStore.body.Request.FaultString).toMatch(/no UserData\.StoreName column/);

    // The column is there but empty in some rows: those rows alone are refused.
    const someEmpty = await postCsv(QUERY, `_umsClientId,CustomProperties.OrderId\n${phone(1)},\n${phone(2)},B-2\n`);
    expect(someEmpty.status, someEmpty.text).toBe(202);
  });

  it('refuses a CSV row with a value past the last column, naming line and column; a trailing empty cell is fine', async () => {
    const extra = await postCsv(QUERY, `_umsClientId,CustomProperties.OrderId\n${phone(1)},A-1\n${phone(2)},A-2,extra\n`);
    expect(extra.status).toBe(400);
    expect(extra.body.Request).toEqual({ FaultCode: 1001, FaultString: 'CSV line 3 column 3: the row has 3 cells but the header names 2 columns' });
    const trailing = await postCsv(QUERY, `_umsClientId,CustomProperties.OrderId\n${phone(1)},A-1,\n`);
    expect(trailing.status, trailing.text).toBe(202);
  });
});
