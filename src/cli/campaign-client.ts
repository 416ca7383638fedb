import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { TargetError, unreachable, UsageError, type GatewayTarget } from '../cli-support/gateway-target.js';

/** The shared parameters of a campaign as `POST /campaigns` takes them (docs/protocol.md#campaigns). */
export interface CampaignParameters {
  name?: string;
  _umsChannel: string;
  _umsBusinessId: string;
  StandardResponseId: string;
  ChatQueueKey?: string;
  TerminateSessionFlag?: 'true';
  CustomProperties: Record<string, string>;
  UserData: Record<string, string>;
}

export const COUNT_NAMES = ['waiting', 'pending', 'sent', 'delivered', 'read', 'failed', 'refused', 'duplicate'] as const;

export interface CampaignStatus {
  campaignId: string;
  name: string;
  state: 'running' | 'paused' | 'cancelled' | 'done';
  total: number;
  counts: Record<(typeof COUNT_NAMES)[number], number>;
}

export interface CampaignRow {
  row: number;
  _umsClientId: string;
  state: string;
  sessionId?: string;
  FaultCode?: number;
  FaultString?: string;
  error?: string;
}

/** What `POST /campaigns?dryRun=true` answers: what the file would give, nothing stored (docs/protocol.md#campaigns). */
export interface CampaignCheck {
  rows: number;
  wouldSend: number;
  duplicate: number;
  refused: number;
  faults: { row: number; FaultCode: number; FaultString: string }[];
}

/** The gateway refused the request with an ESP fault or an HTTP error; the message says why. */
export class CampaignRefused extends Error {
  override readonly name = 'CampaignRefused';
  readonly code = 'CLI.CAMPAIGN_REFUSED';
}

/** The campaign routes of a gateway, as the `campaign` command uses them. */
export class CampaignClient {
  constructor(private readonly target: GatewayTarget) {}

  /**
   * Uploads a recipients file: CSV is streamed as it is read (any size), JSON (an array of
   * recipients) is read whole, as the gateway does. `onBytes` follows the upload.
   */
  upload(file: { path: string; bytes: number }, parameters: CampaignParameters, onBytes: (bytes: number) => void): Promise<{ campaignId: string; rows: number }> {
    return this.post(file, parameters, onBytes, false);
  }

  /** The dry run of a recipients file: every row validated and rendered, nothing stored or sent. */
  check(file: { path: string; bytes: number }, parameters: CampaignParameters, onBytes: (bytes: number) => void): Promise<CampaignCheck> {
    return this.post(file, parameters, onBytes, true);
  }

  private async post<T>(file: { path: string; bytes: number }, parameters: CampaignParameters, onBytes: (bytes: number) => void, dryRun: boolean): Promise<T> {
    const isJson = file.path.toLowerCase().endsWith('.json');
    const request = isJson ? await jsonUpload(file.path, parameters) : csvUpload(file.path, parameters, onBytes);
    const query = dryRun ? `${request.query}${request.query ? '&' : '?'}dryRun=true` : request.query;
    const answer = await this.call<T>(`/campaigns${query}`, { method: 'POST', ...request.init });
    if (isJson) onBytes(file.bytes);
    return answer;
  }

  status(campaignId: string): Promise<CampaignStatus> {
    return this.call(`/campaigns/${encodeURIComponent(campaignId)}`);
  }

  rows(campaignId: string, state: string, offset: number, limit: number): Promise<{ total: number; rows: CampaignRow[] }> {
    return this.call(`/campaigns/${encodeURIComponent(campaignId)}/rows?${new URLSearchParams({ state, offset: String(offset), limit: String(limit) })}`);
  }

  change(campaignId: string, action: 'pause' | 'resume' | 'cancel'): Promise<{ state: string }> {
    return this.call(`/campaigns/${encodeURIComponent(campaignId)}/${action}`, { method: 'POST' });
  }

  private async call<T>(path: string, init: RequestInit = {}): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.target.url}${path}`, { ...init, headers: { ...init.headers, authorization: `Bearer ${this.target.apiKey}` } });
    } catch (error) {
      throw unreachable(error, this.target.url);
    }
    const text = await response.text();
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new TargetError(`${this.target.url}${path.split('?')[0]} answered HTTP ${response.status} with a body that is not JSON: is --target an invite-gateway?`);
    }
    if (response.ok) return body as T;
    if (response.status === 401) throw new TargetError(`${this.target.url} refused the API key`);
    throw new CampaignRefused(refusalOf(response.status, body));
  }
}

/** CSV: the shared parameters go in the query string, the file streams as the body. */
function csvUpload(path: string, parameters: CampaignParameters, onBytes: (bytes: number) => void) {
  const query = new URLSearchParams();
  const { CustomProperties, UserData, ...shared } = parameters;
  for (const [key, value] of Object.entries(shared)) if (value !== undefined) query.set(key, value);
  for (const [key, value] of Object.entries(CustomProperties)) query.set(`CustomProperties.${key}`, value);
  for (const [key, value] of Object.entries(UserData)) query.set(`UserData.${key}`, value);
  const counted = createReadStream(path).pipe(
    new Transform({
      transform(chunk: Buffer, _encoding, done) {
        onBytes(chunk.length);
        done(null, chunk);
      },
    }),
  );
  const init = {
    headers: { 'content-type': 'text/csv' },
    body: Readable.toWeb(counted) as ReadableStream,
    // Node's fetch streams a request body only in half-duplex mode.
    duplex: 'half',
  } as RequestInit;
  return { query: `?${query}`, init };
}

/** JSON: an array of recipients, sent with the shared parameters as one `POST /campaigns` body. */
async function jsonUpload(path: string, parameters: CampaignParameters) {
  let recipients: unknown;
  try {
    recipients = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`${path}: ${(error as Error).message}`);
  }
  if (!Array.isArray(recipients)) throw new UsageError(`${path}: a JSON recipients file must hold an array of recipients`);
  const { name, UserData, CustomProperties, ...shared } = parameters;
  const body = {
    name: name ?? '',
    parameters: { ...shared, ...(Object.keys(CustomProperties).length > 0 ? { CustomProperties } : {}) },
    UserData,
    recipients,
  };
  return { query: '', init: { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } };
}

/** The ESP fault (`FaultCode: FaultString`) or error text of a refused request. */
function refusalOf(status: number, body: Record<string, unknown>): string {
  const fault = body.Request as { FaultCode?: number; FaultString?: string } | undefined;
  if (fault?.FaultCode) return `fault ${fault.FaultCode}: ${fault.FaultString ?? ''}`;
  if (status === 404) return 'no such campaign for this API key';
  return `HTTP ${status}: ${typeof body.error === 'string' ? body.error : JSON.stringify(body)}`;
}
