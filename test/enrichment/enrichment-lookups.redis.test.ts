import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { GatewayConfigInput } from '../../src/config/schema.js';
import { ConfigError } from '../../src/config/load.js';
import { createGateway } from '../../src/gateway.js';
import { gatewayOptions, startTestGateway, testConfig, TENANT1_KEY, WA_BUSINESS_ID, type TestGateway } from '../support/gateway.js';
import { jsonInvite } from '../support/invites.js';
import { startLoopbackServer } from '../support/loopback.js';
import { uniquePrefix } from '../support/redis.js';

const CRM_USER = 'gateway';
const CRM_PASSWORD = 's3cret';

/** A CRM that answers customer lookups by phone number, checking basic auth as a real one would. */
async function startFakeCrm() {
  const seen: { phone: string | null; authorized: boolean }[] = [];
  let failWith: number | undefined;
  const server = await startLoopbackServer((req, _body, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const authorized = req.headers.authorization === `Basic ${Buffer.from(`${CRM_USER}:${CRM_PASSWORD}`).toString('base64')}`;
    seen.push({ phone: url.searchParams.get('phone'), authorized });
    if (!authorized) return res.writeHead(401).end('{"error":"unauthorized"}');
    if (failWith) return res.writeHead(failWith).end('{"error":"down"}');
    if (url.pathname !== '/customers' || !url.searchParams.get('phone')) return res.writeHead(400).end('{"error":"phone is required"}');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ customer: { store: 'Harbour Rd' }, tickets: [{ id: 'T-1' }, { id: 'T-9' }] }));
  });
  return { server, seen, failWith: (status: number | undefined) => (failWith = status) };
}

/** Tenant 1 gets two CRM-enriched channels: one refuses when the lookup fails, one goes on. */
function enrichedConfig(crmUrl: string, password = CRM_PASSWORD): GatewayConfigInput {
  const base = testConfig();
  const enrichment = (onFailure: 'refuse' | 'continue') => ({
    request: {
      method: 'GET' as const,
      url: `${crmUrl}/customers`,
      authentication: { type: 'basic' as const, username: CRM_USER, password },
      params: { phone: '{contact.source}' },
    },
    response: { save: { CustomProperties: { OrderId: '{response.body.tickets[-1].id}' }, UserData: { StoreName: '{response.body.customer.store}' } } },
    // No test here is about the timeout: generous, so a loaded machine does not turn a lookup into 1023.
    timeoutMs: 5_000,
    cacheSeconds: 0,
    onFailure,
  });
  const channel = (name: string, onFailure: 'refuse' | 'continue') => ({
    name,
    type: 'whatsapp' as const,
    businessIds: [WA_BUSINESS_ID],
    inboundRouteByCall: '1:session-WA-inbound',
    connector: { kind: 'sandbox' as const, reportDelayMs: 100 },
    enrichment: enrichment(onFailure),
  });
  base.tenants[0]!.channels.push(channel('whatsapp-crm', 'refuse'), channel('whatsapp-crm-lenient', 'continue'));
  return base;
}

/** An invite that leaves OrderId and StoreName to the CRM. */
const invite = (channel: string, extra: { OrderId?: string; StoreName?: string } = {}) =>
  jsonInvite({
    parameters: { _umsChannel: channel, CustomProperties: { Track: 'T9', ...(extra.OrderId ? { OrderId: extra.OrderId } : {}) } },
    userData: extra.StoreName ? { StoreName: extra.StoreName } : { StoreName: undefined },
  });

describe('channel enrichment from a CRM lookup', () => {
  let crm: Awaited<ReturnType<typeof startFakeCrm>>;
  let gateway: TestGateway;

  beforeAll(async () => {
    crm = await startFakeCrm();
    gateway = await startTestGateway({ label: 'enrichment', config: enrichedConfig(crm.server.url) });
  });

  afterAll(async () => {
    await gateway.dispose();
    await crm.server.close();
  });

  const post = (body: object, dryRun = false) =>
    request(gateway.app!)
      .post(`/esp${dryRun ? '?dryRun=true' : ''}`)
      .set('authorization', `Bearer ${TENANT1_KEY}`)
      .send(body);

  it('fills field codes and attached data from the lookup, with basic auth and the client id as the phone', async () => {
    crm.failWith(undefined);
    const dryRun = await post(invite('whatsapp-crm'), true);
    expect(dryRun.status).toBe(200);
    const rendered = JSON.parse(dryRun.body.Request.Rendered as string);
    expect(rendered.template.components[1].parameters.map((p: { text: string }) => p.text)).toEqual(['T-9', 'Harbour Rd']);
    expect(crm.seen.at(-1)).toEqual({ phone: '+15551230001', authorized: true });

    const live = await post(invite('whatsapp-crm'));
    expect(live.status).toBe(200);
    const session = await request(gateway.app!).get(`/sessions/${live.body.Request._umsChatSessionId}`).set('authorization', `Bearer ${TENANT1_KEY}`);
    expect(session.body.userData.StoreName).toBe('Harbour Rd');
  });

  it("keeps the request's own values over the CRM's", async () => {
    crm.failWith(undefined);
    const dryRun = await post(invite('whatsapp-crm', { OrderId: 'A-1', StoreName: 'Main St' }), true);
    const rendered = JSON.parse(dryRun.body.Request.Rendered as string);
    expect(rendered.template.components[1].parameters.map((p: { text: string }) => p.text)).toEqual(['A-1', 'Main St']);
  });

  it('refuses with 1023 when the lookup fails on a channel set to refuse, naming the channel and not the customer', async () => {
    crm.failWith(503);
    const answer = await post(invite('whatsapp-crm'));
    expect(answer.status).toBe(502);
    expect(answer.body.Request.FaultCode).toBe(1023);
    expect(answer.body.Request.FaultString).toMatch(/enrichment lookup of channel whatsapp-crm failed: .*503/);
    expect(answer.body.Request.FaultString).not.toContain('15551230001');
  });

  it('goes on without the data on a channel set to continue: the render then needs the values from the request', async () => {
    crm.failWith(500);
    const withValues = await post(invite('whatsapp-crm-lenient', { OrderId: 'A-7', StoreName: 'Main St' }));
    expect(withValues.status).toBe(200);
    const withoutValues = await post(invite('whatsapp-crm-lenient'));
    expect(withoutValues.status).toBe(400);
    expect(withoutValues.body.Request).toMatchObject({ FaultCode: 1021, FaultString: expect.stringMatching(/CustomProperties\.OrderId/) });
  });

  it('refuses with 1023 when the CRM rejects the credentials', async () => {
    crm.failWith(undefined);
    const wrongPassword = await startTestGateway({ label: 'enrichment-auth', config: enrichedConfig(crm.server.url, 'wrong') });
    try {
      const answer = await request(wrongPassword.app!).post('/esp').set('authorization', `Bearer ${TENANT1_KEY}`).send(invite('whatsapp-crm'));
      expect(answer.body.Request.FaultCode).toBe(1023);
      expect(answer.body.Request.FaultString).toMatch(/401/);
      expect(answer.body.Request.FaultString).not.toContain('wrong');
    } finally {
      await wrongPassword.dispose();
    }
  });

  it('refuses to start with a response path it cannot read', async () => {
    const config = enrichedConfig(crm.server.url);
    config.tenants[0]!.channels[2]!.enrichment!.response.save = { CustomProperties: { OrderId: '{response.body.tickets[x' } };
    const start = createGateway(gatewayOptions({ redisPrefix: uniquePrefix('enrichment-bad'), config: parseConfig(config) }));
    await expect(start).rejects.toThrow(ConfigError);
    await expect(start).rejects.toThrow(/tenants\.0\.channels\.2\.enrichment\.response\.save\.CustomProperties\.OrderId/);
  });
});

