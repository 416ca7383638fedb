import express, { type Express, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { EspFault, fault } from '../esp/faults.js';
import type { EspReply, WireFormat } from '../esp/model.js';
import { parseEspBody, readReferenceId, wireFormatOf, writeJsonReply } from '../esp/reply.js';
import { writeXmlReply } from '../esp/xml-form.js';
import type { InviteResult, InviteToChat } from '../invite/invite-to-chat.js';
import { newKvList } from '../esp/kvlist.js';
import { DEFAULT_READ_LIMITS, type ReadLimits } from '../esp/read-limits.js';
import type { ApiKeys } from './auth.js';
import type { GatewayMetrics } from './metrics.js';

export interface EspRouteDependencies {
  inviteToChat: InviteToChat;
  apiKeys: ApiKeys;
  bodyLimitBytes: number;
  /** `limits.maxNestingDepth`: how deep KVLists may nest in a body (default 32). */
  maxNestingDepth?: number;
  metrics: GatewayMetrics;
  logger: Logger;
}

/**
 * `POST /esp`: one ESP request in JSON, XML or log text, answered in the caller's format with
 * `Event3rdServerResponse` or `Event3rdServerFault` (docs/protocol.md#request-and-reply).
 */
export function registerEspRoute(app: Express, deps: EspRouteDependencies): void {
  // Read every body as text: the wire form is chosen from Content-Type by the ESP parser, which
  // also answers 415 for types it does not speak.
  const readBody = express.text({ type: () => true, limit: deps.bodyLimitBytes, defaultCharset: 'utf-8' });
  const readLimits: ReadLimits = { maxNestingDepth: deps.maxNestingDepth ?? DEFAULT_READ_LIMITS.maxNestingDepth };

  app.post('/esp', authenticate(deps), readBodyOrFault(readBody, deps), async (request, response) => {
    const stopTimer = deps.metrics.inviteDuration.startTimer();
    const requestFormat = formatOfContentType(request.get('content-type'));
    const text = typeof request.body === 'string' ? request.body : '';
    let referenceId: number | undefined;
    try {
      const parsed = parseEspBody(request.get('content-type'), text, readLimits);
      referenceId = parsed.request.referenceId;
      const result = await deps.inviteToChat.invite(parsed.request, {
        tenant: response.locals.tenant,
        dryRun: isDryRun(request),
        idempotencyKey: request.get('idempotency-key') || undefined,
      });
      deps.metrics.invites.inc({ result: result.kind, format: parsed.format });
      sendReply(request, response, parsed.format, 200, successReply(referenceId, result));
    } catch (error) {
      referenceId ??= readReferenceId(requestFormat, text);
      sendFault(request, response, requestFormat, toFault(error, deps.logger), referenceId, deps.metrics);
    } finally {
      stopTimer();
    }
  });
}

function authenticate(deps: EspRouteDependencies) {
  return (request: Request, response: Response, next: () => void) => {
    const { tenant, refusal } = deps.apiKeys.identify(request);
    if (tenant) {
      response.locals.tenant = tenant;
      next();
      return;
    }
    const problem = fault('unauthenticated', refusal);
    sendFault(request, response, formatOfContentType(request.get('content-type')), problem, undefined, deps.metrics);
  };
}

/**
 * Reads the body as text, or answers fault 1001: at once for what the headers alone show (too large,
 * an encoding not inflated), else for what body-parser finds while reading (413, 415, 400).
 */
function readBodyOrFault(readBody: express.RequestHandler, deps: Pick<EspRouteDependencies, 'bodyLimitBytes' | 'metrics'>) {
  return (request: Request, response: Response, next: () => void) => {
    const refused = bodyHeadersProblem(request, deps.bodyLimitBytes);
    if (refused) {
      // The body is left unread: close the connection after the answer rather than read it off.
      response.set('Connection', 'close');
      sendFault(request, response, formatOfContentType(request.get('content-type')), refused, undefined, deps.metrics);
      return;
    }
    readBody(request, response, (error?: unknown) => {
      if (!error) return next();
      sendFault(request, response, formatOfContentType(request.get('content-type')), bodyReadingFault(request, error), undefined, deps.metrics);
    });
  };
}

/** The encodings body-parser inflates on every supported Node (it does zstd only on newer ones). */
const SUPPORTED_ENCODINGS = new Set(['identity', 'gzip', 'deflate', 'br']);

/**
 * What `Content-Length` and `Content-Encoding` alone say is wrong. body-parser finds both too, but
 * answers only once the whole declared body has arrived or the client gives up: a client declaring
 * 10 GB and sending 10 bytes held the request open for seconds. A compressed body is held to the
 * same limit: one larger than the limit once compressed is no ESP request.
 */
function bodyHeadersProblem(request: Request, limitBytes: number): EspFault | undefined {
  if (Number(request.headers['content-length']) > limitBytes) {
    return fault('bodyUnreadable', `the body is larger than the configured limit (limits.bodyBytes, ${limitBytes} bytes)`, { httpStatus: 413 });
  }
  // Compared as body-parser compares it, so that what passes here is what it inflates.
  const encoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (!SUPPORTED_ENCODINGS.has(encoding)) {
    return unsupportedEncoding(encoding);
  }
  return undefined;
}

/** 415 naming the encoding (cut short: it is the caller's header, echoed only to name it). */
function unsupportedEncoding(encoding: string): EspFault {
  return fault('bodyUnreadable', `Content-Encoding ${JSON.stringify(encoding.slice(0, 40))} is not supported: send identity, gzip, deflate or br`, { httpStatus: 415 });
}

/** A body-parser error as fault 1001 with the status it stands for, by its `type`. */
function bodyReadingFault(request: Request, error: unknown): EspFault {
  const { type } = error as { type?: string };
  switch (type) {
    case 'entity.too.large':
      return fault('bodyUnreadable', 'the body is larger than the configured limit (limits.bodyBytes)', { httpStatus: 413 });
    case 'charset.unsupported':
      return fault('bodyUnreadable', `unsupported charset in Content-Type: ${request.get('content-type')}`, { httpStatus: 415 });
    case 'encoding.unsupported': // refused from the header already; kept should body-parser refuse more
      return unsupportedEncoding(String(request.headers['content-encoding']));
    case 'request.size.invalid':
      return fault('bodyUnreadable', 'the body does not have the length its Content-Length declares');
    default:
      // A gzip or deflate body that does not inflate, a client that went away, …
      return fault('bodyUnreadable', 'the body could not be read');
  }
}

function successReply(referenceId: number | undefined, result: InviteResult): EspReply {
  const list = newKvList();
  if (result.kind === 'dryRun') {
    list._umsDryRun = 'true';
    if (result.rendered !== null) list.Rendered = result.rendered;
  } else {
    list._umsChatSessionId = result.sessionId;
  }
  return { event: 'Event3rdServerResponse', referenceId, request: list };
}

function toFault(error: unknown, logger: Logger): EspFault {
  if (error instanceof EspFault) return error;
  // Unexpected: log it whole, answer 1099 without any internals.
  logger.error({ err: error }, 'unexpected error answering POST /esp');
  return fault('internal', 'the gateway failed unexpectedly; the error is logged');
}

function sendFault(request: Request, response: Response, format: WireFormat, problem: EspFault, referenceId: number | undefined, metrics: GatewayMetrics): void {
  metrics.faults.inc({ code: String(problem.faultCode) });
  metrics.invites.inc({ result: 'fault', format });
  if (problem.retryAfterSeconds !== undefined) response.set('Retry-After', String(problem.retryAfterSeconds));
  sendReply(request, response, format, problem.httpStatus, {
    event: 'Event3rdServerFault',
    referenceId,
    faultCode: problem.faultCode,
    faultString: problem.message,
  });
}

function sendReply(request: Request, response: Response, requestFormat: WireFormat, status: number, reply: EspReply): void {
  if (replyFormat(request, requestFormat) === 'xml') {
    response.status(status).type('application/xml').send(writeXmlReply(reply));
  } else {
    response.status(status).json(writeJsonReply(reply));
  }
}

/** The request's own format (JSON for log text), unless `Accept` names only JSON or only XML. */
function replyFormat(request: Request, requestFormat: WireFormat): 'json' | 'xml' {
  const accept = (request.get('accept') ?? '').toLowerCase();
  const wantsJson = accept.includes('json');
  const wantsXml = accept.includes('xml');
  if (wantsJson && !wantsXml) return 'json';
  if (wantsXml && !wantsJson) return 'xml';
  return requestFormat === 'xml' ? 'xml' : 'json';
}

/** The format a fault is answered in when the body could not be read: JSON unless the type says XML. */
function formatOfContentType(contentType: string | undefined): WireFormat {
  return wireFormatOf(contentType) ?? 'json';
}

function isDryRun(request: Request): boolean {
  return request.query.dryRun === 'true' || (request.get('x-dry-run') ?? '').toLowerCase() === 'true';
}
