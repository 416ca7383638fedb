import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Server } from 'node:http';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { gatewayOptions, TENANT1_KEY, testConfig, WA_BUSINESS_ID } from '../support/gateway.js';
import { deleteKeys, listKeys, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';

/** The customer number every hostile body carries: it must appear in no answer and no log line. */
const CUSTOMER_DIGITS = '5557020411';
const CUSTOMER = `+1${CUSTOMER_DIGITS}`;
const SHARED = { _umsChannel: 'whatsapp-main', _umsBusinessId: WA_BUSINESS_ID, StandardResponseId: 'order_ready' };
const CSV_QUERY = new URLSearchParams(SHARED).toString();
/** Small limits, so each one can be crossed cheaply (the 6 MB line is streamed: no Content-Length to refuse up front). */
const LIMITS = { campaignRows: 5, campaignJsonBytes: 100_000, campaignCsvBytes: 1_000_000 };

/** Four good recipients, then whatever the case puts in recipients[4]-style slots. */
function recipientsWith(index: number, bad: unknown): unknown[] {
  const recipients: unknown[] = [0, 1, 2, 3].map((i) => ({ _umsClientId: `+1555702050${i}`, CustomProperties: { OrderId: `A-${i}` } }));
  recipients[index] = bad;
  return recipients;
}

/** A child process's script: streams a CSV whose header is one 6 MB line, prints status, answer and time. */
const SIX_MB_LINE_UPLOADER = `
const [url, key] = process.argv.slice(1);
const body = Buffer.from('_umsClientId,' + 'Contact.'.repeat(6 * 131072));
const started = performance.now();
const stream = new ReadableStream({ start(controller) { for (let i = 0; i < body.length; i += 65536) controller.enqueue(body.subarray(i, i + 65536)); controller.close(); } });
const response = await fetch(url, { method: 'POST', headers: { authorization: 'Bearer ' + key, 'content-type': 'text/csv' }, body: stream, duplex: 'half' });
const text = await response.text();
process.stdout.write(JSON.stringify({ status: response.status, text, took: performance.now() - started }));
`;

function csvWith(lines: string[]): string {
  return ['_umsClientId,Contact.FirstName,CustomProperties.OrderId', ...lines].join('\n') + '\n';
}

/** Bytes that are no CSV, the same every run (a small LCG, not Math.random). */
function garbage(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  let seed = 12345;
  for (let i = 0; i < length; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    bytes[i] = seed >> 16;
  }
  return Buffer.concat([Buffer.from(`_umsClientId\n${CUSTOMER},"`), bytes]);
}

describe('hostile campaign uploads', () => {
  const prefix = uniquePrefix('campaign-input');
  const logLines: string[] = [];
  const redis = new Redis(TEST_REDIS_URL);
  let gateway: Gateway;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) });
    gateway = await createGateway(gatewayOptions({ redisPrefix: prefix, logger, config: parseConfig(testConfig({ limits: LIMITS })) }));
    server = gateway.app!.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await gateway.close();
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  const auth = { authorization: `Bearer ${TENANT1_KEY}` };
  const postJson = (body: unknown) => request(server).post('/campaigns').set(auth).send(body as object);
  const postJsonText = (text: string) => request(server).post('/campaigns').set(auth).set('content-type', 'application/json').send(text);
  const postCsv = (body: string | Buffer) => request(server).post(`/campaigns?${CSV_QUERY}`).set(auth).set('content-type', 'text/csv').send(body);

  /** The ESP fault envelope, small, naming the place, quoting no customer data. */
  function expectRefused(response: request.Response, faultString: RegExp, status = 400): void {
    expect(response.status).toBe(status);
    expect(response.body).toEqual({ Event: 'Event3rdServerFault', Request: { FaultCode: 1001, FaultString: expect.stringMatching(faultString) } });
    expect(response.text.length).toBeLessThan(1024);
    expect(response.text).not.toContain(CUSTOMER_DIGITS);
  }

  async function storedCampaignKeys(): Promise<string[]> {
    return (await listKeys(redis, prefix)).filter((key) => key.startsWith(`${prefix}:campaign`));
  }

  const hostile: [string, () => request.Test, RegExp][] = [
    ['a JSON syntax error next to a customer number', () => postJsonText(`{"name":"x","parameters":${JSON.stringify(SHARED)},\n"recipients":[{"_umsClientId":${CUSTOMER}}]}`), /^the body is not valid JSON: unexpected character at line 2 column 31$/],
    ['"parameters": null', () => postJson({ parameters: null, recipients: [{ _umsClientId: CUSTOMER }] }), /^parameters must be an object, not null$/],
    ['"parameters": true', () => postJson({ parameters: true, recipients: [{ _umsClientId: CUSTOMER }] }), /^parameters must be an object, not a boolean$/],
    ['a shared parameter that is null', () => postJson({ parameters: { ...SHARED, ChatQueueKey: null }, recipients: [] }), /^parameters\.ChatQueueKey must be a string, an integer or an object, not null$/],
    ['shared CustomProperties as an array', () => postJson({ parameters: { ...SHARED, CustomProperties: [CUSTOMER] }, recipients: [] }), /^parameters\.CustomProperties must be .*not an array$/],
    ['an object where a recipient string belongs', () => postJson({ parameters: SHARED, recipients: recipientsWith(3, { _umsClientId: CUSTOMER, Contact: { FirstName: { value: CUSTOMER } } }) }), /^recipients\[3\]\.Contact\.FirstName must be a string, not an object$/],
    ['a client id that is a number', () => postJson({ parameters: SHARED, recipients: recipientsWith(3, { _umsClientId: Number(`1${CUSTOMER_DIGITS}`) }) }), /^recipients\[3\]\._umsClientId must be a string, not an integer$/],
    ['recipients not an array', () => postJson({ parameters: SHARED, recipients: { _umsClientId: CUSTOMER } }), /^recipients must be an array, not an object$/],
    ['a recipient that is null', () => postJson({ parameters: SHARED, recipients: recipientsWith(2, null) }), /^recipients\[2\] must be an object, not null$/],
    ['parameters nested 10,000 deep', () => postJsonText(`{"parameters":{"CustomProperties":${'{"a":'.repeat(10_000)}"${CUSTOMER}"${'}'.repeat(10_000)}},"recipients":[]}`), /^the body nests objects and arrays deeper than 32 levels \(limits\.maxNestingDepth\) at line 1 column \d+$/],
    ['a CSV quote inside an unquoted field', () => postCsv(csvWith([`${CUSTOMER},Ana,A-1`, '+15557020502,Bo,A-2', '+15557020503,Cy,A-3', '+15557020504,Di,A-4', '+15557020505,Ed,A-5', `${CUSTOMER},Fa,A"6`])), /^CSV line 7 column 3: a quote inside an unquoted field$/],
    ['a CSV quoted field never closed', () => postCsv(csvWith([`"${CUSTOMER},Ana,A-1`])), /^CSV line \d+ column 1: a quoted field is not closed$/],
    ['binary garbage as CSV', () => postCsv(garbage(4096)), /^CSV line \d+( column \d+)?: /],
  ];

  for (const [label, send, faultString] of hostile) {
    it(`refuses ${label} with 1001 naming the place, storing nothing`, async () => {
      expectRefused(await send(), faultString);
      expect(await storedCampaignKeys()).toEqual([]);
    });
  }

  it('answers a 6 MB CSV line with a short 1001 as soon as the line passes csvLineBytes, while /livez keeps answering', async () => {
    // The upload comes from another process, so only the gateway's own work can delay /livez.
    const uploader = spawn(process.execPath, ['--input-type=module', '-e', SIX_MB_LINE_UPLOADER, `${base}/campaigns?${CSV_QUERY}`, TENANT1_KEY], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    uploader.stdout.on('data', (chunk: Buffer) => (output += chunk));
    const exited = new Promise((resolve) => uploader.once('exit', resolve));
    let uploading = true;
    void exited.then(() => (uploading = false));
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    let slowest = 0;
    while (uploading) {
      const started = performance.now();
      expect((await fetch(`${base}/livez`)).status).toBe(200);
      slowest = Math.max(slowest, performance.now() - started);
    }
    loopDelay.disable();
    const blocked = loopDelay.max / 1e6;
    const { status, text, took } = JSON.parse(output) as { status: number; text: string; took: number };
    console.info(`6 MB CSV line: answered in ${took.toFixed(0)} ms; slowest /livez meanwhile ${slowest.toFixed(1)} ms; longest event-loop delay ${blocked.toFixed(1)} ms`);
    expect(status).toBe(400);
    expect(text.length).toBeLessThan(1024);
    expect(JSON.parse(text).Request).toEqual({ FaultCode: 1001, FaultString: 'CSV line 1 column 2: the line is longer than 65536 bytes (limits.csvLineBytes)' });
    // Alone this answers in about 0.45 s with /livez at most 0.12 s; without the line limit the file
    // took 4-9 s. /livez and event-loop times follow the shared machine's load (up to 0.9 s seen
    // while other suites ran), so they are reported, not asserted; the unit test of the CSV reader
    // asserts the early stop itself (how much of the line is read).
    expect(took).toBeLessThan(3_000);
    expect(await storedCampaignKeys()).toEqual([]);
  });

  it('refuses a CSV value longer than csvFieldBytes, naming line and column', async () => {
    expectRefused(await postCsv(csvWith([`${CUSTOMER},Ana,A-1`, `${CUSTOMER},${'x'.repeat(5_000)},A-2`])), /^CSV line 3 column 2: the value is longer than 4096 bytes \(limits\.csvFieldBytes\)$/);
    expect(await storedCampaignKeys()).toEqual([]);
  });

  it('refuses more recipients than campaignRows, in CSV and JSON, with 413', async () => {
    const six = Array.from({ length: 6 }, (_, i) => `+1555702060${i},Ana,A-${i}`);
    expectRefused(await postCsv(csvWith(six)), /^CSV line 7: the campaign has more than 5 recipients \(limits\.campaignRows\)$/, 413);
    const recipients = Array.from({ length: 6 }, (_, i) => ({ _umsClientId: `+1555702060${i}` }));
    expectRefused(await postJson({ parameters: SHARED, recipients }), /^the campaign has more than 5 recipients \(limits\.campaignRows\)$/, 413);
    expect(await storedCampaignKeys()).toEqual([]);
  });

  it('refuses bodies over campaignJsonBytes and campaignCsvBytes with 413, streamed ones too', async () => {
    const big = { parameters: SHARED, recipients: [{ _umsClientId: CUSTOMER, Contact: { FirstName: 'x'.repeat(LIMITS.campaignJsonBytes) } }] };
    expectRefused(await postJson(big), /^the body is larger than 100000 bytes \(limits\.campaignJsonBytes\)$/, 413);
    // Empty lines are no rows and no long line: only the body limit can stop them.
    const blank = Buffer.alloc(100_000, '\n');
    expectRefused(await postCsv(Buffer.concat([Buffer.from(`_umsClientId\n${CUSTOMER}\n`), ...Array(12).fill(blank)])), /^the CSV body is larger than 1000000 bytes \(limits\.campaignCsvBytes\)$/, 413);
    // No Content-Length: the limit is found while the body streams in.
    const streamed = await fetch(`${base}/campaigns?${CSV_QUERY}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/csv' },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(Buffer.from(`_umsClientId\n${CUSTOMER}\n`));
          for (let i = 0; i < 12; i++) controller.enqueue(blank);
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    const answer = await streamed.text();
    expect(JSON.parse(answer)).toEqual({ Event: 'Event3rdServerFault', Request: { FaultCode: 1001, FaultString: 'the CSV body is larger than 1000000 bytes (limits.campaignCsvBytes)' } });
    expect(answer).not.toContain(CUSTOMER_DIGITS);
    expect(await storedCampaignKeys()).toEqual([]);
  });

  it('answers 415 for a body that is neither JSON nor CSV', async () => {
    const response = await request(server).post('/campaigns').set(auth).set('content-type', 'text/plain').send(CUSTOMER);
    expectRefused(response, /^Content-Type must be application\/json or text\/csv$/, 415);
  });

  it('still takes a good JSON and a good CSV campaign', async () => {
    // Good: every field code of order_ready has a value (Track and StoreName shared, OrderId per row).
    const json = await postJson({ name: 'ok', parameters: { ...SHARED, TerminateSessionFlag: true, CustomProperties: { Track: 'T' } }, UserData: { StoreName: 'S' }, recipients: recipientsWith(3, { _umsClientId: '+15557020599', Contact: { FirstName: 7 }, CustomProperties: { OrderId: 'A-9' } }) });
    expect(json.status, json.text).toBe(202);
    expect(json.body.rows).toBe(4);
    const csv = await request(server)
      .post(`/campaigns?${CSV_QUERY}&CustomProperties.Track=T&UserData.StoreName=S`)
      .set(auth)
      .set('content-type', 'text/csv')
      .send(csvWith(['+15557020701,Ana,A-1', '"+15557020702","Bo ""the"" second",A-2']));
    expect(csv.status).toBe(202);
    expect(csv.body.rows).toBe(2);
  });

  it('answers a body refused on another route (webhook over 1 MB) with its problem only, logged without a stack', async () => {
    const before = logLines.length;
    const response = await request(server).post('/webhooks/whatsapp').set('content-type', 'application/json').send(`{"from":"${CUSTOMER}","text":"${'x'.repeat(1_100_000)}"}`);
    expect(response.status).toBe(413);
    expect(response.body).toEqual({ error: 'the body is larger than the configured limit', code: 'payload_too_large' });
    const logged = logLines.slice(before).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toEqual([expect.objectContaining({ level: 40, msg: 'request body refused', type: 'entity.too.large', status: 413, path: '/webhooks/whatsapp' })]);
    expect(Object.keys(logged[0]!)).not.toContain('err');
  });

  it('logs no customer data and no stack for any of the refused bodies', () => {
    const log = logLines.join('');
    expect(log).not.toContain(CUSTOMER_DIGITS);
    expect(log).not.toMatch(/"stack"|\n\s+at /);
  });
});
