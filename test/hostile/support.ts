import type { Server } from 'node:http';
import { connect } from 'node:net';
import type { Response } from 'supertest';
import { pino } from 'pino';
import { expect } from 'vitest';
import type { GatewayConfigInput } from '../../src/config/schema.js';
import { APPLE_BUSINESS_ID, startTestGateway, testConfig, type TestGateway, WA_BUSINESS_ID } from '../support/gateway.js';

/** The customer of every hostile request: its number must never come back in an answer. */
/** The channels' provider ids, as the providers' reports name them (`metadata.phone_number_id`, `app_id`). */
export const WA_PHONE_NUMBER_ID = '109876543210';
export const SINCH_APP_ID = 'app-h';
export const CUSTOMER = '+15557654321';
/** What of it must not come back (a masked `+*******4321` is fine). */
const CUSTOMER_DIGITS = '5557654321';
/** A first name only the requests carry: message text must not come back either. */
export const MARKER_NAME = 'Zephyrine';

export const SINCH_BUSINESS_ID = '+15550003333';
export const WA_APP_SECRET = 'hostile-wa-app-secret';
export const WA_VERIFY_TOKEN = 'hostile-verify-token';
export const SINCH_CALLBACK_SECRET = 'hostile-sinch-callback-secret';
export const APPLE_SECRET_BASE64 = Buffer.from('hostile-msp-secret-of-32-bytes!!').toString('base64');
/** Nothing listens there: the API role never delivers, and a stray send must fail, not reach anything. */
const NOWHERE = 'http://127.0.0.1:9';

/**
 * Tenant 1 with a WhatsApp Cloud, a Sinch and an Apple MSP channel (webhooks signed with the
 * secrets above), tenant 2 with its own sandbox WhatsApp channel.
 */
export function hostileConfig(): GatewayConfigInput {
  const config = testConfig();
  const [whatsapp, apple] = config.tenants[0]!.channels;
  whatsapp!.connector = { kind: 'whatsapp-cloud', baseUrl: NOWHERE, apiVersion: 'v23.0', phoneNumberId: WA_PHONE_NUMBER_ID, token: 'wa-token', appSecret: WA_APP_SECRET, verifyToken: WA_VERIFY_TOKEN };
  apple!.connector = { kind: 'apple-msp', baseUrl: NOWHERE, mspId: 'msp-hostile', secret: APPLE_SECRET_BASE64 };
  config.tenants[0]!.channels.push({
    name: 'sinch-main',
    type: 'whatsapp',
    businessIds: [SINCH_BUSINESS_ID],
    inboundRouteByCall: '1:session-Sinch-inbound',
    connector: { kind: 'sinch', baseUrl: NOWHERE, projectId: 'proj-h', appId: SINCH_APP_ID, token: 'sinch-token', callbackSecret: SINCH_CALLBACK_SECRET },
  });
  return config;
}

export interface HostileGateway {
  gateway: TestGateway;
  /** Every log line the gateway wrote (JSON, as pino writes them). */
  logs: string[];
  server: Server;
  port: number;
  close(): Promise<void>;
}

/** The API role only: hostile requests are judged by their answers, nothing is ever delivered. */
export async function startHostileGateway(label: string): Promise<HostileGateway> {
  const logs: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(line) });
  const gateway = await startTestGateway({ label, config: hostileConfig(), role: 'api', logger });
  const server = await new Promise<Server>((resolve) => {
    const listening = gateway.app!.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    gateway,
    logs,
    server,
    port,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await gateway.dispose();
    },
  };
}

/** One generated case: how to send it and what the contract says comes back. */
export interface HostileCase {
  title: string;
  send(server: Server, port: number): Promise<Answer>;
  status: number;
  /** The ESP FaultCode of the answer, where the contract gives one. */
  faultCode?: number;
  /** A word the FaultString (or `error`) must name: the field or the problem. */
  names?: string;
  check?(answer: Answer): void;
  /** A dry run's `Rendered` is the provider body, the caller's own recipient and text included. */
  echoesRendering?: boolean;
}

/** `[title, case]` rows for `it.each(...)('%s', ...)`: each case its own test, titled with its expectation. */
export function titled(cases: HostileCase[]): Array<[string, HostileCase]> {
  return cases.map((hostileCase) => [`${hostileCase.title} → ${hostileCase.status}${hostileCase.faultCode ? ` FaultCode ${hostileCase.faultCode}` : ''}`, hostileCase]);
}

/** What came back, from supertest or from a raw socket. */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export function answerOf(response: Response): Answer {
  return { status: response.status, headers: response.headers, text: response.text ?? '' };
}

/** FaultCode of a JSON or XML ESP fault; undefined when the answer is not one. */
export function faultCodeOf(answer: Answer): number | undefined {
  const xml = /<key>FaultCode<\/key>\s*<value>\s*<ValueInt>(\d+)<\/ValueInt>/.exec(answer.text);
  if (xml) return Number(xml[1]);
  try {
    const code = JSON.parse(answer.text)?.Request?.FaultCode;
    return typeof code === 'number' ? code : undefined;
  } catch {
    return undefined;
  }
}

function faultStringOf(answer: Answer): string {
  const xml = /<key>FaultString<\/key>\s*<value>\s*<ValueString>([^<]*)<\/ValueString>/.exec(answer.text);
  if (xml) return xml[1]!;
  try {
    const body = JSON.parse(answer.text);
    return String(body?.Request?.FaultString ?? body?.error ?? '');
  } catch {
    return '';
  }
}

/** Logs never carry the customer's number or message text (docs/protocol.md#conversations; docs/operations.md's logging promise). */
export function expectLogsClean(logs: string[]): void {
  const leaking = logs.filter((line) => line.includes(CUSTOMER_DIGITS) || line.includes(MARKER_NAME));
  expect(leaking.map((line) => line.slice(0, 400)).join('\n'), 'log lines with customer data').toBe('');
}

/** Status, FaultCode and the rules every answer keeps: no 5xx but a 503 with Retry-After, no stack, no customer data. */
export function expectContractAnswer(hostile: HostileCase, answer: Answer): void {
  const shown = `${answer.status} ${answer.text.slice(0, 300)}`;
  // Leaks first: an answer that carries customer data fails for that, whatever else is wrong.
  expect(answer.text, `no stack trace in an answer: ${shown}`).not.toMatch(/\n\s+at [^\n]+:\d+:\d+|node_modules|\/src\/[\w/.-]+\.ts/);
  if (!hostile.echoesRendering) {
    expect(answer.text, `no customer phone number in an answer: ${shown}`).not.toContain(CUSTOMER_DIGITS);
    expect(answer.text, `no message text in an answer: ${shown}`).not.toContain(MARKER_NAME);
  }
  expect(answer.status, shown).toBe(hostile.status);
  if (hostile.faultCode !== undefined) {
    expect(faultCodeOf(answer), shown).toBe(hostile.faultCode);
    expect(faultStringOf(answer).length, `a FaultString that says what is wrong: ${shown}`).toBeGreaterThan(10);
  }
  if (hostile.names) expect(faultStringOf(answer), shown).toContain(hostile.names);
  if (answer.status >= 500) {
    expect(answer.status, shown).toBe(503);
    expect(answer.headers['retry-after'], 'a 503 says when to try again').toBeDefined();
  }
  hostile.check?.(answer);
}

/**
 * Writes bytes as they are to the gateway's socket (framing supertest would correct) and reads
 * the one answer, or what is there when the server closes the connection.
 */
export function rawExchange(port: number, bytes: string | Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.setTimeout(2_000, () => {
      socket.destroy();
      reject(new Error(`no answer within 2 s; received so far: ${received.slice(0, 200)}`));
    });
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      const answer = parseRawAnswer(received);
      if (answer) {
        socket.destroy();
        resolve(answer);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(parseRawAnswer(received, true) ?? { status: 0, headers: {}, text: received }));
    // No half-close after writing: the server may (rightly) drop a request whose client hung up.
    socket.write(bytes);
  });
}

/** One HTTP/1.1 answer with a Content-Length (or all there is once the server closed). */
function parseRawAnswer(received: string, closed = false): Answer | undefined {
  const headEnd = received.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const [statusLine, ...headerLines] = received.slice(0, headEnd).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = received.slice(headEnd + 4);
  const length = Number(headers['content-length'] ?? NaN);
  if (Number.isFinite(length) ? Buffer.byteLength(body, 'latin1') < length : !closed) return undefined;
  return { status: Number(statusLine!.split(' ')[1]), headers, text: Buffer.from(body, 'latin1').toString('utf8') };
}

export { APPLE_BUSINESS_ID, WA_BUSINESS_ID };
