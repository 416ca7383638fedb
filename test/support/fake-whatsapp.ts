import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { sendMessageProblems } from './whatsapp-schemas.js';

/** What the fake answers one send with: success (a wamid) or a Cloud API error. */
export type FakeAnswer =
  | { kind: 'accept' }
  | { kind: 'error'; httpStatus: number; code: number; message?: string; retryAfterSeconds?: number }
  | { kind: 'http'; httpStatus: number; text: string };

export interface ReceivedSend {
  at: number;
  phoneNumberId: string;
  body: Record<string, any>;
  wamid?: string;
}

/**
 * A loopback stand-in for the WhatsApp Cloud API `POST /{version}/{phone-number-id}/messages`. It
 * checks the request as the real API does (path, bearer token, the body against Meta's published
 * schema of the operation, plus the API rules that schema does not state) and answers with the real
 * success and error shapes; tests program answers per recipient.
 */
export class FakeWhatsApp {
  readonly received: ReceivedSend[] = [];
  private readonly answers = new Map<string, FakeAnswer[]>();
  private server?: Server;
  private baseUrl = '';
  private sequence = 0;

  /** How long each send takes to answer, ms: a send in flight when a worker is killed (chaos tests). */
  latencyMs = 0;

  constructor(
    private readonly token: string,
    private readonly apiVersion = 'v23.0',
  ) {}

  async start(): Promise<string> {
    sendMessageProblems({}); // compiles the schema now, not during the first (timed) send
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    return this.baseUrl;
  }

  /** The `whatsapp-cloud` connector settings of a channel that sends here (after `start`), with this fake's token. */
  connector(phoneNumberId: string | Record<string, string>) {
    return { kind: 'whatsapp-cloud' as const, baseUrl: this.baseUrl, apiVersion: this.apiVersion, phoneNumberId, token: this.token };
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** Answers the next sends to `to` with these, in order; then accepts. */
  program(to: string, ...answers: FakeAnswer[]): void {
    this.answers.set(to, answers);
  }

  sendsTo(to: string): ReceivedSend[] {
    return this.received.filter((send) => send.body.to === to);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // The arrival time, before the body is read and checked: pacing tests measure the gateway, not the check.
    const arrivedAt = Date.now();
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const path = new RegExp(`^/${this.apiVersion}/([^/]+)/messages$`).exec(request.url ?? '');
    if (request.method !== 'POST' || !path) return this.error(response, 404, 100, 'Unknown path components');
    if (request.headers.authorization !== `Bearer ${this.token}`) return this.error(response, 401, 190, 'Error validating access token');
    if (!String(request.headers['content-type']).startsWith('application/json')) return this.error(response, 400, 100, 'Content-Type must be JSON');
    let body: Record<string, any>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return this.error(response, 400, 100, 'Invalid JSON');
    }
    const problem = sendMessageProblems(body) ?? unstatedRuleBroken(body);
    if (problem) return this.error(response, 400, 100, '(#100) Invalid parameter', undefined, problem);
    const send: ReceivedSend = { at: arrivedAt, phoneNumberId: path[1]!, body };
    this.received.push(send);
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));

    const answer = this.answers.get(body.to)?.shift() ?? { kind: 'accept' };
    if (answer.kind === 'http') {
      response.writeHead(answer.httpStatus, { 'content-type': 'text/html' }).end(answer.text);
      return;
    }
    if (answer.kind === 'error') return this.error(response, answer.httpStatus, answer.code, answer.message ?? `(#${answer.code}) error`, answer.retryAfterSeconds);
    send.wamid = `wamid.FAKE${String(++this.sequence).padStart(6, '0')}`;
    response.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({ messaging_product: 'whatsapp', contacts: [{ input: body.to, wa_id: String(body.to).replace('+', '') }], messages: [{ id: send.wamid }] }),
    );
  }

  /** Meta's error shape: `{error: {message, type, code, error_data: {messaging_product, details}, fbtrace_id}}`. */
  private error(response: ServerResponse, status: number, code: number, message: string, retryAfterSeconds?: number, details = message): void {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (retryAfterSeconds !== undefined) headers['retry-after'] = String(retryAfterSeconds);
    response.writeHead(status, headers).end(
      JSON.stringify({ error: { message, type: 'OAuthException', code, error_data: { messaging_product: 'whatsapp', details }, fbtrace_id: 'Afake' } }),
    );
  }
}

/**
 * Rules the Cloud API applies that Meta's schema does not state (it types these fields as plain
 * strings or leaves them optional): the product is `whatsapp`, the recipient is a phone number, a
 * text message has a body, and a template text parameter is not empty and holds no newline, tab or
 * more than four spaces in a row (Meta's template parameter rules).
 */
function unstatedRuleBroken(body: Record<string, any>): string | undefined {
  if (body.messaging_product !== 'whatsapp') return 'messaging_product must be whatsapp';
  if (!/^\+?\d{7,15}$/.test(body.to)) return 'to must be a phone number';
  if (body.type === 'text' && !body.text?.body) return 'text.body is required';
  for (const [c, component] of (body.template?.components ?? []).entries()) {
    for (const [p, parameter] of (component.parameters ?? []).entries()) {
      if (parameter.type === 'text' && (parameter.text.trim() === '' || /[\n\t]| {5,}/.test(parameter.text))) {
        return `template.components.${c}.parameters.${p}.text must not be empty nor hold a newline, a tab or more than four spaces in a row`;
      }
    }
  }
  return undefined;
}

/**
 * The sends that came sooner than a pace of `perSecond` allows, counted from `since` (ms). A paced
 * number's k-th send (from 0) takes a slot no sooner than `since + k / perSecond`, and is received
 * after its slot: a loaded machine only makes sends later, so unlike a count per wall-clock window
 * this bound never fails for a slow run. `takenBefore` is how many of `sends` may have taken their
 * slot before `since` (at most the workers' concurrency, when the number was already sending): the
 * k-th send then waits for slot k - takenBefore.
 */
export function sendsAheadOfPace(sends: ReceivedSend[], perSecond: number, since: number, takenBefore = 0): Array<{ send: number; at: number; earliest: number }> {
  const times = sends.map((send) => send.at).sort((a, b) => a - b);
  return times
    .map((at, k) => ({ send: k, at: at - since, earliest: (Math.max(0, k - takenBefore) * 1_000) / perSecond }))
    .filter(({ at, earliest }) => at < earliest);
}
