import express, { type Express, type Request, type Response } from 'express';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { TenantConfig } from '../config/schema.js';
import { csvRows, nameExcerpt, readJsonCampaign, type CampaignInputLimits } from '../campaigns/campaign-rows.js';
import type { CampaignRunner } from '../campaigns/campaign-runner.js';
import { checkCampaign, storeCampaign, type CampaignUpload } from '../campaigns/upload-campaign.js';
import type { CampaignRowData, CampaignStore, RowState } from '../campaigns/campaign-store.js';
import { EspFault, fault } from '../esp/faults.js';
import { isRedisUnavailable, REDIS_RETRY_AFTER_SECONDS } from '../redis/unavailable.js';
import type { InviteToChat } from '../invite/invite-to-chat.js';
import { writeJsonReply } from '../esp/reply.js';
import { maskIdentifier } from '../sessions/masking.js';
import type { SessionIdGenerator } from '../sessions/session-id.js';
import type { StandardResponseCatalog } from '../templates/catalog.js';
import { requireTenant, type ApiKeys } from './auth.js';
import { bodyProblem, logBodyProblem } from './body-errors.js';
import { describeJsonProblem, findJsonProblem } from './json-text.js';
import { badRequest, conflict, notFound } from './errors.js';

export interface CampaignsRouteDependencies {
  apiKeys: ApiKeys;
  campaigns: CampaignStore;
  runner: CampaignRunner;
  inviteToChat: InviteToChat;
  catalog: StandardResponseCatalog;
  ids: SessionIdGenerator;
  limits: CampaignInputLimits;
  logger: Logger;
}

/** `POST /campaigns`, `GET /campaigns/:id`, `GET /campaigns/:id/rows`, pause/resume/cancel (docs/protocol.md#campaigns). */
export function registerCampaignRoutes(app: Express, deps: CampaignsRouteDependencies): void {
  const authenticate = requireTenant(deps.apiKeys);

  // A JSON campaign is read whole (up to limits.campaignJsonBytes); a CSV one streams row by row.
  const readJsonBody = express.raw({ type: () => true, limit: deps.limits.campaignJsonBytes });

  app.post('/campaigns', authenticate, async (request, response) => {
    try {
      const dryRunOnly = isDryRun(request);
      const upload = await readUpload(readJsonBody, request, response, deps);
      const tenant = response.locals.tenant as TenantConfig;
      if (dryRunOnly) response.status(200).json(await checkCampaign(deps, tenant, upload));
      else response.status(202).json(await storeCampaign(deps, tenant, upload, new Date()));
    } catch (caught) {
      const error = isRedisUnavailable(caught) ? fault('unavailable', 'the gateway cannot store the campaign now (Redis is unavailable): try again later', { retryAfterSeconds: REDIS_RETRY_AFTER_SECONDS }) : caught;
      if (!(error instanceof EspFault)) throw error;
      stopReading(request, response, error);
      if (error.retryAfterSeconds !== undefined) response.set('Retry-After', String(error.retryAfterSeconds));
      response.status(error.httpStatus).json(faultBody(error));
    }
  });

  app.get('/campaigns/:id', authenticate, async (request, response) => {
    const campaign = await ownCampaign(deps, request, response);
    const { campaignId, name, state, total, counts } = campaign;
    response.json({ campaignId, name, state, total, counts });
  });

  app.get('/campaigns/:id/rows', authenticate, async (request, response) => {
    await ownCampaign(deps, request, response);
    const state = String(request.query.state ?? 'refused') as RowState;
    if (!['refused', 'failed', 'duplicate'].includes(state)) throw badRequest('state must be refused, failed or duplicate');
    const offset = Math.max(0, Number(request.query.offset ?? 0) || 0);
    const limit = Math.min(1000, Math.max(1, Number(request.query.limit ?? 100) || 100));
    const page = await deps.campaigns.rowsInState(String(request.params.id), state, offset, limit);
    response.json({
      total: page.total,
      rows: page.rows.map(({ row, clientId, state: rowState, sessionId, FaultCode, FaultString, error }) => ({
        row,
        _umsClientId: clientId ? maskIdentifier(clientId) : '',
        state: rowState,
        ...(sessionId ? { sessionId } : {}),
        ...(FaultCode ? { FaultCode, FaultString } : {}),
        ...(error ? { error } : {}),
      })),
    });
  });

  for (const [action, from, to] of [
    ['pause', ['running'], 'paused'],
    ['resume', ['paused'], 'running'],
    ['cancel', ['running', 'paused'], 'cancelled'],
  ] as const) {
    app.post(`/campaigns/:id/${action}`, authenticate, async (request, response) => {
      const campaign = await ownCampaign(deps, request, response);
      if (!(await deps.campaigns.changeState(campaign.campaignId, [...from], to))) {
        throw conflict(`campaign ${campaign.campaignId} is ${campaign.state}: it cannot ${action}`);
      }
      if (to === 'running') await deps.runner.kick(campaign.campaignId);
      response.json({ campaignId: campaign.campaignId, state: to });
    });
  }
}

/**
 * `?dryRun=true` or `X-Dry-Run: true`, as on `POST /esp`. Another value is refused (1011) rather
 * than read as false: a mistyped dry run must not send a whole campaign.
 */
function isDryRun(request: Request): boolean {
  const query = request.query.dryRun;
  const header = request.get('x-dry-run');
  for (const [where, value] of [['query parameter dryRun', query], ['header X-Dry-Run', header]] as const) {
    if (value === undefined) continue;
    if (typeof value !== 'string' || !['true', 'false'].includes(value.toLowerCase())) throw fault('malformedParameter', `${where} must be true or false`);
  }
  return String(query).toLowerCase() === 'true' || (header ?? '').toLowerCase() === 'true';
}

/** A CSV upload streams its rows; a JSON one is read and checked whole first. */
async function readUpload(readJsonBody: express.RequestHandler, request: Request, response: Response, deps: CampaignsRouteDependencies): Promise<CampaignUpload> {
  if (request.is('text/csv')) return csvUpload(request, deps.limits);
  const text = await readJsonText(readJsonBody, request, response, deps);
  const campaign = readJsonCampaign(JSON.parse(text), deps.limits);
  return { ...campaign, columns: jsonColumns(campaign.rows) };
}

/** Every column a JSON campaign's recipients fill, as CSV would name it. */
function jsonColumns(rows: CampaignRowData[]): Set<string> {
  const columns = new Set<string>();
  for (const row of rows) {
    for (const [key, value] of Object.entries(row)) {
      if (typeof value === 'string') columns.add(key);
      else for (const field of Object.keys(value ?? {})) columns.add(`${key}.${field}`);
    }
  }
  return columns;
}

/**
 * The JSON body as text, refused with 1001 when it is not JSON (naming line and column, quoting
 * nothing), nested deeper than the ESP allows, too large (413) or of another type (415).
 */
async function readJsonText(readBody: express.RequestHandler, request: Request, response: Response, deps: CampaignsRouteDependencies): Promise<string> {
  if (!request.is('application/json')) {
    throw fault('bodyUnreadable', 'Content-Type must be application/json or text/csv', { httpStatus: 415 });
  }
  const raw = await new Promise<Buffer>((resolve, reject) => {
    readBody(request, response, (error?: unknown) => {
      if (!error) return resolve(Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0));
      const problem = bodyProblem(error, `${deps.limits.campaignJsonBytes} bytes (limits.campaignJsonBytes)`);
      if (!problem) return reject(error as Error);
      logBodyProblem(deps.logger, request, problem);
      reject(fault('bodyUnreadable', problem.message, { httpStatus: problem.status }));
    });
  });
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw fault('bodyUnreadable', 'the body is not valid UTF-8');
  }
  // The campaign's parameters become ESP lists: the same nesting limit as POST /esp.
  const problem = findJsonProblem(text, deps.limits.maxNestingDepth);
  if (problem) throw fault('bodyUnreadable', describeJsonProblem(problem));
  return text;
}

/** CSV: the shared parameters in the query string, `CustomProperties.<Key>` / `UserData.<Key>` included. */
function csvUpload(request: Request, limits: CampaignInputLimits): CampaignUpload {
  if (Number(request.get('content-length')) > limits.campaignCsvBytes) {
    throw fault('bodyUnreadable', `the CSV body is larger than ${limits.campaignCsvBytes} bytes (limits.campaignCsvBytes)`, { httpStatus: 413 });
  }
  const parameters: Record<string, unknown> = {};
  const customProperties: Record<string, string> = {};
  const userData: Record<string, string> = {};
  let name = '';
  for (const [key, value] of Object.entries(request.query)) {
    if (typeof value !== 'string') throw fault('malformedParameter', `query parameter ${nameExcerpt(key)} is given more than once`);
    if (key === 'dryRun') continue; // how to run the upload, not a parameter of its invites
    if (key === 'name') name = value;
    else if (key.startsWith('CustomProperties.')) customProperties[key.slice('CustomProperties.'.length)] = value;
    else if (key.startsWith('UserData.')) userData[key.slice('UserData.'.length)] = value;
    else parameters[key] = value;
  }
  if (Object.keys(customProperties).length > 0) parameters.CustomProperties = customProperties;
  const columns = new Set<string>();
  const rows = csvRows(request as Readable, limits, (names) => names.forEach((column) => columns.add(column)));
  return { name, parameters, userData, rows, columns };
}

async function ownCampaign(deps: CampaignsRouteDependencies, request: Request, response: Response) {
  const campaign = await deps.campaigns.get(String(request.params.id));
  // Another tenant's campaign answers like an unknown one.
  if (!campaign || campaign.tenant !== (response.locals.tenant as TenantConfig).id) throw notFound();
  return campaign;
}

/**
 * A refusal while the body is still arriving: the rest is read and dropped, so the client gets the
 * answer instead of a reset connection. Past a size limit the connection closes after the answer.
 */
function stopReading(request: Request, response: Response, refusal: EspFault): void {
  if (request.complete) return;
  request.unpipe();
  if (refusal.httpStatus === 413) response.set('Connection', 'close');
  request.resume();
}

function faultBody(error: EspFault) {
  return writeJsonReply({ event: 'Event3rdServerFault', faultCode: error.faultCode, faultString: error.message });
}
