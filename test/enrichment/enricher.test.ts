import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkEnrichmentConfig, Enricher, type EnrichmentConfig, type EnrichmentResult } from '../../src/enrichment/enricher.js';
import { EnrichmentError, substitutePlaceholders, type EnrichmentInput } from '../../src/enrichment/placeholders.js';
import { compileResponsePath, readResponsePath, ResponsePathError } from '../../src/enrichment/response-path.js';
import { cloneKvList } from '../../src/esp/kvlist.js';
import { startLoopbackServer, type LoopbackServer } from '../support/loopback.js';

const USERNAME = 'gateway';
const PASSWORD = 'crm-pa55word';
const TOKEN = 'crm-bearer-token';
const CUSTOMER = { customer: { firstName: 'Ana', tier: 'gold', vip: true, score: 42, manager: null }, tickets: [{ id: 'T-1' }, { id: 'T-9' }] };

interface Received {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function input(overrides: Partial<EnrichmentInput> = {}): EnrichmentInput {
  return {
    clientId: '+15551230001',
    contact: cloneKvList({ Email: 'ana@example.org', CustomerNo: 7001 }),
    userData: cloneKvList({ 'crm.account id': 'ACC 9/1', Nested: { Inner: 'x' } }),
    ...overrides,
  };
}

const response = { status: 200, headers: { 'x-crm-id': 'C-77' }, body: CUSTOMER };

describe('placeholders', () => {
  it('fills {contact.source} with the client id, contact fields and attached-data keys holding dots and spaces', () => {
    const text = substitutePlaceholders('{contact.source}|{contact.Email}|{contact.CustomerNo}|{userData.crm.account id}', input());
    expect(text).toBe('+15551230001|ana@example.org|7001|ACC 9/1');
  });

  it('encodes each inserted value, not the template around it', () => {
    expect(substitutePlaceholders('/a/{userData.crm.account id}?p={contact.source}', input(), encodeURIComponent)).toBe('/a/ACC%209%2F1?p=%2B15551230001');
  });

  it('leaves unknown prefixes and other braces as literal text', () => {
    expect(substitutePlaceholders('{agent.Name} {response.status} {"a":1}', input())).toBe('{agent.Name} {response.status} {"a":1}');
  });

  it('throws an EnrichmentError naming the placeholder with no value, empty or a list', () => {
    expect(() => substitutePlaceholders('{contact.Phone}', input())).toThrow(new EnrichmentError('no value for {contact.Phone}'));
    expect(() => substitutePlaceholders('{userData.Nested}', input())).toThrow('no value for {userData.Nested}');
    expect(() => substitutePlaceholders('{contact.Email}', input({ contact: cloneKvList({ Email: '' }) }))).toThrow('no value for {contact.Email}');
    expect(() => substitutePlaceholders('{userData.constructor}', input())).toThrow('no value for {userData.constructor}');
  });
});

describe('response paths', () => {
  it('reads dotted paths, indexes and negative indexes counted from the end', () => {
    expect(readResponsePath('{response.body.customer.firstName}', response)).toBe('Ana');
    expect(readResponsePath('{response.body.tickets[0].id}', response)).toBe('T-1');
    expect(readResponsePath('{response.body.tickets[-1].id}', response)).toBe('T-9');
    expect(readResponsePath('{response.body[1]}', { ...response, body: ['a', 'b'] })).toBe('b');
  });

  it('turns numbers and booleans into text and objects into JSON; null is no value', () => {
    expect(readResponsePath('{response.body.customer.score}', response)).toBe('42');
    expect(readResponsePath('{response.body.customer.vip}', response)).toBe('true');
    expect(readResponsePath('{response.body.tickets[0]}', response)).toBe('{"id":"T-1"}');
    expect(readResponsePath('{response.body.customer.manager}', response)).toBeUndefined();
  });

  it('gives undefined for a path the answer lacks, inherited properties included', () => {
    for (const path of ['customer.lastName', 'tickets[2].id', 'tickets[-3].id', 'customer[0]', 'tickets.length', 'customer.constructor']) {
      expect(readResponsePath(`{response.body.${path}}`, response), path).toBeUndefined();
    }
  });

  it('reads the status and headers, header names in any case', () => {
    expect(readResponsePath('{response.status}', response)).toBe('200');
    expect(readResponsePath('{response.headers.X-CRM-Id}', response)).toBe('C-77');
    expect(readResponsePath('{response.headers.x-other}', response)).toBeUndefined();
  });

  it('refuses expressions not of the {response....} form when compiled', () => {
    for (const bad of ['response.body.a', '{contact.source}', '{response.body..a}', '{response.body.a[x]}', '{response.bodyx}', '{response.status.code}']) {
      expect(() => compileResponsePath(bad), bad).toThrow(ResponsePathError);
    }
    expect(compileResponsePath('{response.body.a}').readsBody).toBe(true);
    expect(compileResponsePath('{response.status}').readsBody).toBe(false);
  });
});

describe('checkEnrichmentConfig', () => {
  it('names unknown save groups and unparsable paths, and nothing for a good config', () => {
    const config = crmConfig('http://127.0.0.1:1/customers', {
      save: { Foo: { A: '{response.status}' }, UserData: { Tier: '{response.body.customer.tier' } },
    });
    const problems = checkEnrichmentConfig(config);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toBe('response.save.Foo: group must be CustomProperties or UserData');
    expect(problems[1]).toMatch(/^response\.save\.UserData\.Tier: response path "\{response\.body\.customer\.tier"/);
    expect(checkEnrichmentConfig(crmConfig('http://127.0.0.1:1/customers'))).toEqual([]);
  });
});

describe('Enricher against a fake CRM', () => {
  const received: Received[] = [];
  const stalled: ServerResponse[] = [];
  let crm: LoopbackServer;

  beforeAll(async () => {
    crm = await startLoopbackServer((request, body, answer) => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      received.push({ method: request.method ?? '', path: url.pathname, query: url.searchParams, headers: request.headers, body: body.toString('utf8') });
      fakeCrm(url, request.method ?? '', request.headers, body.toString('utf8'), answer, stalled);
    });
  });
  beforeEach(() => {
    received.length = 0;
  });
  afterAll(async () => {
    for (const answer of stalled) answer.destroy();
    await crm?.close();
  });

  const save = {
    UserData: { CrmTier: '{response.body.customer.tier}', LastTicket: '{response.body.tickets[-1].id}', Missing: '{response.body.customer.lastName}' },
    CustomProperties: { FirstName: '{response.body.customer.firstName}', CrmId: '{response.headers.x-crm-id}', Status: '{response.status}' },
  };

  it('GETs with basic auth and the phone in the query, and saves what the paths find', async () => {
    const result = await new Enricher().enrich('wa', crmConfig(`${crm.url}/customers`, { save }), input());
    expect(result).toEqual({
      outcome: 'enriched',
      saved: { UserData: { CrmTier: 'gold', LastTicket: 'T-9' }, CustomProperties: { FirstName: 'Ana', CrmId: 'C-77', Status: '200' } },
    });
    expect(received).toHaveLength(1);
    expect(received[0]!.query.get('phone')).toBe('+15551230001');
  });

  it('substitutes headers and encodes values placed in the URL path', async () => {
    const config = crmConfig(`${crm.url}/accounts/{userData.crm.account id}`, { headers: { 'X-Contact-Email': '{contact.Email}' } });
    const result = await new Enricher().enrich('wa', config, input());
    expect(result.outcome).toBe('enriched');
    expect(received[0]!.path).toBe('/accounts/ACC%209%2F1');
    expect(received[0]!.headers['x-contact-email']).toBe('ana@example.org');
  });

  it('sends a bearer token when configured', async () => {
    const config = crmConfig(`${crm.url}/bearer/customers`, { authentication: { type: 'bearer', token: TOKEN } });
    const result = await new Enricher().enrich('wa', config, input());
    expect(result).toMatchObject({ outcome: 'enriched', saved: { UserData: { CrmTier: 'gold' } } });
  });

  it('POSTs the params as a JSON body', async () => {
    const config = crmConfig(`${crm.url}/search`, { method: 'POST', params: { phone: '{contact.source}', email: '{contact.Email}' } });
    const result = await new Enricher().enrich('wa', config, input());
    expect(result).toMatchObject({ outcome: 'enriched', saved: { UserData: { CrmTier: 'gold' } } });
    expect(received[0]!.method).toBe('POST');
    expect(JSON.parse(received[0]!.body)).toEqual({ phone: '+15551230001', email: 'ana@example.org' });
    expect([...received[0]!.query.keys()]).toEqual([]);
  });

  it('fails, without asking the CRM, when a placeholder has no value', async () => {
    const config = crmConfig(`${crm.url}/customers`, { params: { phone: '{contact.source}', email: '{contact.Phone}' } });
    expect(await new Enricher().enrich('wa', config, input())).toEqual({ outcome: 'failed', reason: 'no value for {contact.Phone}' });
    expect(received).toHaveLength(0);
  });

  it('fails when the CRM refuses the credentials (401)', async () => {
    const config = crmConfig(`${crm.url}/customers`, { authentication: { type: 'basic', username: USERNAME, password: 'wrong' } });
    expect(await new Enricher().enrich('wa', config, input())).toEqual({ outcome: 'failed', reason: 'CRM answered HTTP 401' });
    expect(received).toHaveLength(1);
  });

  it('fails on a 500', async () => {
    expect(await new Enricher().enrich('wa', crmConfig(`${crm.url}/broken`), input())).toEqual({ outcome: 'failed', reason: 'CRM answered HTTP 500' });
  });

  it('fails on an answer that is not JSON when a body path is asked, and not when only the status is', async () => {
    expect(await new Enricher().enrich('wa', crmConfig(`${crm.url}/html`), input())).toEqual({ outcome: 'failed', reason: 'the CRM answer is not JSON' });
    const statusOnly = crmConfig(`${crm.url}/html`, { save: { UserData: { CrmStatus: '{response.status}' } } });
    expect(await new Enricher().enrich('wa', statusOnly, input())).toEqual({ outcome: 'enriched', saved: { UserData: { CrmStatus: '200' }, CustomProperties: {} } });
  });

  it('fails within about timeoutMs when the CRM never answers', async () => {
    const started = Date.now();
    const result = await new Enricher().enrich('wa', crmConfig(`${crm.url}/stall`, { timeoutMs: 300 }), input());
    const elapsed = Date.now() - started;
    expect(result).toEqual({ outcome: 'failed', reason: 'no answer within 300 ms' });
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(2_000);
  });

  it('fails when nothing listens on the port', async () => {
    const closed = await startLoopbackServer(() => undefined);
    await closed.close();
    expect(await new Enricher().enrich('wa', crmConfig(`${closed.url}/customers`), input())).toEqual({ outcome: 'failed', reason: 'CRM unreachable: ECONNREFUSED' });
  });

  it('keeps secrets and the phone number out of failure reasons', async () => {
    const leaky: typeof fetch = async (url) => {
      throw new TypeError('fetch failed', { cause: new Error(`cannot reach ${String(url)} as ${USERNAME}:${PASSWORD}`) });
    };
    const result = await new Enricher({ fetch: leaky }).enrich('wa', crmConfig(`${crm.url}/customers`), input());
    expect(result.outcome).toBe('failed');
    const reason = (result as { reason: string }).reason;
    expect(reason).toContain('%2B*******0001');
    expect(reason).toContain('gateway:***');
    expect(reason).not.toMatch(/5551230|pa55word/);
  });

  it('answers a repeated lookup from the cache without asking the CRM, until cacheSeconds pass', async () => {
    let now = 1_000_000;
    const enricher = new Enricher({ now: () => now });
    const config = crmConfig(`${crm.url}/customers`, { cacheSeconds: 60 });
    const first = await enricher.enrich('wa', config, input());
    const second = await enricher.enrich('wa', config, input());
    expect(first.outcome).toBe('enriched');
    expect(second).toEqual({ ...first, outcome: 'cached' });
    expect(received).toHaveLength(1);
    now += 60_000;
    expect((await enricher.enrich('wa', config, input())).outcome).toBe('enriched');
    expect(received).toHaveLength(2);
  });

  it('keeps lookups of other customers and other channels apart in the cache', async () => {
    const enricher = new Enricher();
    const config = crmConfig(`${crm.url}/customers`);
    await enricher.enrich('wa', config, input());
    expect((await enricher.enrich('wa', config, input({ clientId: '+15551230002' }))).outcome).toBe('enriched');
    expect((await enricher.enrich('sms', config, input())).outcome).toBe('enriched');
    expect(received).toHaveLength(3);
  });

  it('does not cache with cacheSeconds 0, nor failures', async () => {
    const enricher = new Enricher();
    const uncached = crmConfig(`${crm.url}/customers`, { cacheSeconds: 0 });
    await enricher.enrich('wa', uncached, input());
    expect((await enricher.enrich('wa', uncached, input())).outcome).toBe('enriched');
    const broken = crmConfig(`${crm.url}/broken`);
    await enricher.enrich('wa', broken, input());
    expect((await enricher.enrich('wa', broken, input())).outcome).toBe('failed');
    expect(received).toHaveLength(4);
  });

  it('does not let a caller change what the cache hands to the next one', async () => {
    const enricher = new Enricher();
    const config = crmConfig(`${crm.url}/customers`);
    const first = (await enricher.enrich('wa', config, input())) as Extract<EnrichmentResult, { saved: unknown }>;
    first.saved.UserData.CrmTier = 'changed';
    expect(await enricher.enrich('wa', config, input())).toMatchObject({ outcome: 'cached', saved: { UserData: { CrmTier: 'gold' } } });
  });

  it('shares one request between identical lookups running at once', async () => {
    const enricher = new Enricher();
    const config = crmConfig(`${crm.url}/slow-customers`, { cacheSeconds: 0 });
    const results = await Promise.all([1, 2, 3, 4].map(() => enricher.enrich('wa', config, input())));
    expect(received).toHaveLength(1);
    for (const result of results) expect(result).toMatchObject({ outcome: 'enriched', saved: { UserData: { CrmTier: 'gold' } } });
  });
});

/** Behaves as a CRM's API would: it checks credentials and parameters before it answers. */
function fakeCrm(url: URL, method: string, headers: IncomingHttpHeaders, body: string, answer: ServerResponse, stalled: ServerResponse[]): void {
  const route = url.pathname;
  if (route === '/stall') return void stalled.push(answer);
  if (route === '/broken') return json(answer, 500, { error: 'database down' });
  if (route === '/html') return void answer.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>');
  const expected = route.startsWith('/bearer/') ? `Bearer ${TOKEN}` : `Basic ${Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')}`;
  if (headers.authorization !== expected) return json(answer, 401, { error: 'unauthorized' });
  if (method === 'POST' && headers['content-type'] !== 'application/json') return json(answer, 415, { error: 'JSON only' });
  const phone = method === 'POST' ? phoneInJson(body) : url.searchParams.get('phone');
  if (!phone) return json(answer, 400, { error: 'phone is required' });
  if (route === '/slow-customers') return void setTimeout(() => json(answer, 200, CUSTOMER), 100);
  json(answer, 200, CUSTOMER);
}

function phoneInJson(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { phone?: string }).phone;
  } catch {
    return undefined;
  }
}

function json(answer: ServerResponse, status: number, body: unknown): void {
  answer.writeHead(status, { 'content-type': 'application/json', 'x-crm-id': 'C-77' }).end(JSON.stringify(body));
}

interface ConfigChanges {
  method?: 'GET' | 'POST';
  authentication?: EnrichmentConfig['request']['authentication'];
  headers?: Record<string, string>;
  params?: Record<string, string>;
  save?: Record<string, Record<string, string>>;
  timeoutMs?: number;
  cacheSeconds?: number;
}

/** A channel's enrichment as the config loader hands it over: defaults applied, secrets resolved. */
function crmConfig(url: string, changes: ConfigChanges = {}): EnrichmentConfig {
  return {
    request: {
      method: changes.method ?? 'GET',
      url,
      authentication: changes.authentication ?? { type: 'basic', username: USERNAME, password: PASSWORD },
      headers: changes.headers,
      params: changes.params ?? { phone: '{contact.source}' },
    },
    response: { save: changes.save ?? { UserData: { CrmTier: '{response.body.customer.tier}' } } },
    timeoutMs: changes.timeoutMs ?? 2_000,
    cacheSeconds: changes.cacheSeconds ?? 300,
    onFailure: 'continue',
  };
}
