import type { IncomingMessage, ServerResponse } from 'node:http';
import { SINCH_WHATSAPP_PARAMETER_KEY, sinchSendMessageRequest, type SinchSendMessageRequest } from '../fixtures/sinch-shapes.js';
import { startLoopbackServer, type LoopbackServer } from './loopback.js';

/** What the fake answers one send with, instead of accepting it. */
export interface FakeSinchAnswer {
  status: number;
  body: unknown;
}

export interface FakeSinchOptions {
  projectId: string;
  appId: string;
  /** A fixed bearer token the API takes; absent, only tokens issued by the fake's `/oauth2/token`. */
  token?: string;
  /** The access key the fake's `/oauth2/token` takes. */
  keyId?: string;
  keySecret?: string;
  /** `expires_in` of issued tokens, seconds (Sinch's are 3,600). */
  tokenLifetimeSeconds?: number;
  /** WhatsApp templates by name with every parameter key they define: a send missing one is refused. */
  templates?: Record<string, string[]>;
}

/**
 * A loopback Sinch: `POST /v1/projects/{projectId}/messages:send` and `POST /oauth2/token`, checking
 * requests as Sinch does, with the shapes of test/fixtures/sinch-shapes.ts (Sinch's SDK models and
 * documentation): bearer token, JSON body against `SendMessageRequest`, the app id, WhatsApp parameter
 * keys against Sinch's key grammar, and every parameter of a known template present. Real Sinch
 * accepts a template short of parameters and reports it `FAILED` (TEMPLATE_INSUFFICIENT_PARAMETERS)
 * later; the fake refuses it at once with 400 so a test sees the gap at the send.
 */
export class FakeSinch {
  /** Accepted sends, in order, with the id answered. */
  readonly received: Array<{ body: SinchSendMessageRequest; messageId: string }> = [];
  /** Every `/oauth2/token` request that issued a token. */
  tokensIssued = 0;
  /** Every `messages:send` answered 401. */
  refusedTokens = 0;
  private readonly answers = new Map<string, FakeSinchAnswer[]>();
  private readonly validTokens = new Map<string, number>();
  private server?: LoopbackServer;
  private sequence = 0;

  constructor(private readonly options: FakeSinchOptions) {}

  async start(): Promise<string> {
    this.server = await startLoopbackServer((request, raw, response) => this.handle(request, raw, response));
    return this.server.url;
  }

  get url(): string {
    return this.server!.url;
  }

  async stop(): Promise<void> {
    await this.server?.close();
  }

  /** The `sinch` connector settings of a channel that sends here: the fixed token, or the access key with this fake as `authUrl`. */
  connector(auth: 'token' | 'oauth', extra: { callbackSecret?: string } = {}) {
    const credentials = auth === 'token' ? { token: this.options.token! } : { keyId: this.options.keyId!, keySecret: this.options.keySecret!, authUrl: `${this.url}/oauth2/token` };
    return { kind: 'sinch' as const, baseUrl: this.url, projectId: this.options.projectId, appId: this.options.appId, ...credentials, ...extra };
  }

  /** Answers the next sends to `identity` with these, in order; then accepts. */
  program(identity: string, ...answers: FakeSinchAnswer[]): void {
    this.answers.set(identity, answers);
  }

  /** Every issued token stops working, as when Sinch's token lapsed or was revoked. */
  revokeIssuedTokens(): void {
    this.validTokens.clear();
  }

  sendsTo(identity: string): SinchSendMessageRequest[] {
    return this.received.map((entry) => entry.body).filter((body) => 'identified_by' in body.recipient && body.recipient.identified_by.channel_identities[0]!.identity === identity);
  }

  private handle(request: IncomingMessage, raw: Buffer, response: ServerResponse): void {
    if (request.method === 'POST' && request.url === '/oauth2/token') return this.issueToken(request, raw, response);
    if (request.method !== 'POST' || request.url !== `/v1/projects/${this.options.projectId}/messages:send`) return error(response, 404, 'NOT_FOUND', 'Not Found');
    if (!this.acceptsBearer(request.headers.authorization)) {
      this.refusedTokens++;
      return error(response, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials');
    }
    if (!String(request.headers['content-type']).startsWith('application/json')) return error(response, 400, 'INVALID_ARGUMENT', 'Content-Type must be application/json');
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      return error(response, 400, 'INVALID_ARGUMENT', 'Invalid JSON payload received');
    }
    const parsed = sinchSendMessageRequest.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return error(response, 400, 'INVALID_ARGUMENT', `Invalid value at '${issue.path.join('.')}': ${issue.message}`);
    }
    const body = parsed.data;
    if (body.app_id !== this.options.appId) return error(response, 400, 'INVALID_ARGUMENT', 'app_id not found in project');
    const problem = this.templateProblem(body);
    if (problem) return error(response, 400, 'INVALID_ARGUMENT', problem);

    const identity = 'identified_by' in body.recipient ? body.recipient.identified_by.channel_identities[0]!.identity : body.recipient.contact_id;
    const answer = this.answers.get(identity)?.shift();
    if (answer) return void response.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    const messageId = `01FAKESINCH${String(++this.sequence).padStart(15, '0')}`;
    this.received.push({ body, messageId });
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted_time: new Date().toISOString(), message_id: messageId }));
  }

  /** WhatsApp channel template parameters: keys in Sinch's grammar, and all of a known template's keys given. */
  private templateProblem(body: SinchSendMessageRequest): string | undefined {
    const template = body.message.template_message?.channel_template?.WHATSAPP;
    if (!template) return undefined;
    if (!template.language_code) return 'language_code is required for WhatsApp channel templates';
    const given = Object.keys(template.parameters ?? {});
    const malformed = given.find((key) => !SINCH_WHATSAPP_PARAMETER_KEY.test(key));
    if (malformed) return `unknown WhatsApp template parameter key '${malformed}'`;
    const missing = (this.options.templates?.[template.template_id] ?? []).filter((key) => !given.includes(key));
    if (missing.length > 0) return `template ${template.template_id} needs parameters ${missing.join(', ')}`;
    return undefined;
  }

  private acceptsBearer(header: string | undefined): boolean {
    const token = /^Bearer (.+)$/.exec(header ?? '')?.[1];
    if (!token) return false;
    if (token === this.options.token) return true;
    const expiresAt = this.validTokens.get(token);
    return expiresAt !== undefined && Date.now() < expiresAt;
  }

  /** Sinch's OAuth2 token endpoint: HTTP Basic key id and secret, form `grant_type=client_credentials`. */
  private issueToken(request: IncomingMessage, raw: Buffer, response: ServerResponse): void {
    const expected = `Basic ${Buffer.from(`${this.options.keyId}:${this.options.keySecret}`).toString('base64')}`;
    if (!this.options.keyId || request.headers.authorization !== expected) return error(response, 401, 'UNAUTHENTICATED', 'invalid client credentials');
    const form = new URLSearchParams(raw.toString('utf8'));
    if (!String(request.headers['content-type']).startsWith('application/x-www-form-urlencoded') || form.get('grant_type') !== 'client_credentials') {
      return void response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'unsupported_grant_type' }));
    }
    const lifetime = this.options.tokenLifetimeSeconds ?? 3_600;
    const token = `fake-sinch-jwt-${++this.tokensIssued}`;
    this.validTokens.set(token, Date.now() + lifetime * 1_000);
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: token, expires_in: lifetime, scope: '', token_type: 'bearer' }));
  }
}

function error(response: ServerResponse, code: number, status: string, message: string): void {
  response.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code, message, status } }));
}
