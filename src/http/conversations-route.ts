import express, { type Express, type Request, type Response } from 'express';
import { AnswerInvalid, AnswerRefused, type ConversationAnswers } from '../conversations/answer.js';
import type { TenantConfig } from '../config/schema.js';
import type { ConversationStore } from '../conversations/conversation-store.js';
import { SESSION_ID_PATTERN } from '../sessions/session-id.js';
import type { SessionStore } from '../sessions/session-store.js';
import { requireTenant, type ApiKeys } from './auth.js';

export interface ConversationsRouteDependencies {
  apiKeys: ApiKeys;
  store: SessionStore;
  conversations: ConversationStore;
  answers: ConversationAnswers;
}

const DEFAULT_PAGE = 100;
const LARGEST_PAGE = 500;

/**
 * `GET /sessions/:id/messages?after=<cursor>&limit=<1..500>`: a session's conversation, oldest
 * first, for the tenant's key only (another tenant's session is 404, as an unknown one).
 */
export function registerConversationsRoutes(app: Express, deps: ConversationsRouteDependencies): void {
  const authenticate = requireTenant(deps.apiKeys, (response, refusal) => void response.status(401).json({ error: refusal }));

  app.get('/sessions/:id/messages', authenticate, async (request, response) => {
    const page = pageOf(request);
    if ('problem' in page) return void response.status(400).json({ error: page.problem });
    const sessionId = String(request.params.id);
    const session = SESSION_ID_PATTERN.test(sessionId) ? await deps.store.get(sessionId, { withHistory: false }) : undefined;
    if (!session || session.tenant !== (response.locals.tenant as TenantConfig).id) return notFound(response);
    response.json(await deps.conversations.messages(session, page.after, page.limit));
  });

  // An agent's answer: `{text, attachments?, author?}` or `{standardResponseId, Contact?, Agent?, CustomProperties?, author?}`.
  app.post('/sessions/:id/messages', authenticate, express.json({ limit: '64kb' }), async (request, response) => {
    const sessionId = String(request.params.id);
    if (!SESSION_ID_PATTERN.test(sessionId)) return notFound(response);
    try {
      const answered = await deps.answers.answer(response.locals.tenant as TenantConfig, sessionId, request.body);
      if (!answered) return notFound(response);
      response.status(202).json(answered);
    } catch (error) {
      if (error instanceof AnswerRefused) return void response.status(409).json({ error: error.message });
      if (error instanceof AnswerInvalid) return void response.status(400).json({ error: error.message });
      throw error;
    }
  });
}

function notFound(response: Response): void {
  response.status(404).json({ error: 'not found' });
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
