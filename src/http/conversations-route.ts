import express, { type Express, type Request, type Response } from 'express';
import { AnswerInvalid, AnswerRefused, type ConversationAnswers } from '../conversations/answer.js';
import type { TenantConfig } from '../config/schema.js';
import type { ConversationStore } from '../conversations/conversation-store.js';
import type { Redis } from 'ioredis';
import { fieldPairs } from '../redis/field-pairs.js';
import type { RedisKeys } from '../redis/keys.js';
import { SESSION_ID_PATTERN } from '../sessions/session-id.js';
import type { SessionStore } from '../sessions/session-store.js';
import { requireTenant, type ApiKeys } from './auth.js';
import { badRequest, conflict, notFound } from './errors.js';
import { ownSession } from './sessions-route.js';

export interface ConversationsRouteDependencies {
  apiKeys: ApiKeys;
  store: SessionStore;
  conversations: ConversationStore;
  answers: ConversationAnswers;
  keys: RedisKeys;
  /** A Redis connection of its own for one live feed (it blocks on XREAD); closed with the feed. */
  openEventReader(): Redis;
}

/** How long one XREAD waits before the feed sends a keep-alive comment. */
const FEED_BLOCK_MS = 15_000;

const DEFAULT_PAGE = 100;
const LARGEST_PAGE = 500;

/**
 * `GET /sessions/:id/messages?after=<cursor>&limit=<1..500>`: a session's conversation, oldest
 * first, for the tenant's key only (another tenant's session is 404, as an unknown one).
 */
export function registerConversationsRoutes(app: Express, deps: ConversationsRouteDependencies): void {
  const authenticate = requireTenant(deps.apiKeys);

  app.get('/sessions/:id/messages', authenticate, async (request, response) => {
    const page = pageOf(request);
    if ('problem' in page) throw badRequest(page.problem);
    const session = await ownSession(request, response, deps.store, { withHistory: false });
    response.json(await deps.conversations.messages(session, page.after, page.limit));
  });

  // One session's live feed as Server-Sent Events, from the start of its events or after Last-Event-ID.
  app.get('/sessions/:id/events', authenticate, async (request, response) => {
    const session = await ownSession(request, response, deps.store, { withHistory: false });
    await streamSessionEvents(request, response, deps.keys.sessionEvents(session.sessionId), deps.openEventReader());
  });

  // An agent's answer: `{text, attachments?, author?}` or `{standardResponseId, Contact?, Agent?, CustomProperties?, author?}`.
  app.post('/sessions/:id/messages', authenticate, express.json({ limit: '64kb' }), async (request, response) => {
    const sessionId = String(request.params.id);
    if (!SESSION_ID_PATTERN.test(sessionId)) throw notFound();
    try {
      const answered = await deps.answers.answer(response.locals.tenant as TenantConfig, sessionId, request.body);
      if (!answered) throw notFound();
      response.status(202).json(answered);
    } catch (error) {
      if (error instanceof AnswerRefused) throw conflict(error.message);
      if (error instanceof AnswerInvalid) throw badRequest(error.message);
      throw error;
    }
  });
}


function pageOf(request: Request): { after: number | undefined; limit: number } | { problem: string } {
  const { after, limit } = request.query;
  const parsedLimit = limit === undefined ? DEFAULT_PAGE : Number(limit);
  if (!Number.isInteger(parsedLimit) || parsedLimit < 1 || parsedLimit > LARGEST_PAGE) return { problem: `limit must be a whole number from 1 to ${LARGEST_PAGE}` };
  if (after === undefined) return { after: undefined, limit: parsedLimit };
  const parsedAfter = Number(after);
  if (typeof after !== 'string' || !/^\d{1,9}$/.test(after)) return { problem: 'after must be the next cursor of a previous page (a whole number)' };
  return { after: parsedAfter, limit: parsedLimit };
}

/**
 * Writes a session's events as they come (`id:` the stream id, `event:` the event name, `data:` the
 * event as JSON) until the client goes away; a comment every FEED_BLOCK_MS keeps proxies from
 * closing a quiet feed. A reconnecting client sends `Last-Event-ID` and misses nothing the stream
 * still holds (its last 1,000 events).
 */
async function streamSessionEvents(request: Request, response: Response, streamKey: string, reader: Redis): Promise<void> {
  let lastId = lastEventIdOf(request);
  let open = true;
  request.on('close', () => {
    open = false;
    reader.disconnect();
  });
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  response.write(': events of this session\n\n');
  while (open) {
    const read = await reader.xread('COUNT', 100, 'BLOCK', FEED_BLOCK_MS, 'STREAMS', streamKey, lastId).catch(() => undefined);
    if (!open) break;
    if (read === undefined) {
      // Redis went away: end the feed; the client reconnects with Last-Event-ID.
      response.end();
      break;
    }
    if (!read) {
      response.write(': keep-alive\n\n');
      continue;
    }
    for (const [id, flat] of read[0]?.[1] ?? []) {
      const fields = Object.fromEntries(fieldPairs(flat));
      const event = { event: fields.event, sessionId: fields.sessionId, messageId: fields.messageId || undefined, chatQueueKey: fields.chatQueueKey, at: fields.at, data: JSON.parse(fields.data ?? 'null') as unknown };
      response.write(`id: ${id}\nevent: ${fields.event}\ndata: ${JSON.stringify(event)}\n\n`);
      lastId = id;
    }
  }
  reader.disconnect();
}

function lastEventIdOf(request: Request): string {
  const given = request.get('last-event-id') ?? (typeof request.query.lastEventId === 'string' ? request.query.lastEventId : undefined);
  return given && /^\d{1,20}-\d{1,20}$/.test(given) ? given : '0-0';
}

