import type { Express, Request } from 'express';
import type { TenantConfig } from '../config/schema.js';
import type { ConversationStore } from '../conversations/conversation-store.js';
import { SESSION_ID_PATTERN } from '../sessions/session-id.js';
import type { SessionStore } from '../sessions/session-store.js';
import { requireTenant, type ApiKeys } from './auth.js';

export interface ConversationsRouteDependencies {
  apiKeys: ApiKeys;
  store: SessionStore;
  conversations: ConversationStore;
}

const DEFAULT_PAGE = 100;
const LARGEST_PAGE = 500;

/**
 * `GET /sessions/:id/messages?after=<cursor>&limit=<1..500>`: a session's conversation, oldest
 * first, for the tenant's key only (another tenant's session is 404, as an unknown one).
 */
export function registerConversationsRoutes(app: Express, deps: ConversationsRouteDependencies): void {
  const authenticate = requireTenant(deps.apiKeys, (response) => void response.status(401).json({ error: 'no or unknown API key' }));

  app.get('/sessions/:id/messages', authenticate, async (request, response) => {
    const page = pageOf(request);
    if ('problem' in page) return void response.status(400).json({ error: page.problem });
    const sessionId = String(request.params.id);
    const session = SESSION_ID_PATTERN.test(sessionId) ? await deps.store.get(sessionId, { withHistory: false }) : undefined;
    if (!session || session.tenant !== (response.locals.tenant as TenantConfig).id) return void response.status(404).json({ error: 'not found' });
    response.json(await deps.conversations.messages(session, page.after, page.limit));
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
