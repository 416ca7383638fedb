import type { Express, Request, Response } from 'express';
import type { TenantConfig } from '../config/schema.js';
import type { SessionEnding } from '../invite/ports.js';
import { terminateSession } from '../invite/terminate-session.js';
import { ALWAYS_MASKED_KEYS, maskIdentifier, maskUserData } from '../sessions/masking.js';
import { SESSION_ID_PATTERN } from '../sessions/session-id.js';
import type { Session } from '../sessions/session.js';
import type { SessionStore } from '../sessions/session-store.js';
import { requireTenant, type ApiKeys } from './auth.js';
import { conflict, notFound } from './errors.js';

export interface SessionsRouteDependencies {
  apiKeys: ApiKeys;
  store: SessionStore;
  ending: SessionEnding;
}

/** `GET /sessions/:id` and `DELETE /sessions/:id` (docs/protocol.md#session-view), scoped to the key's tenant. */
export function registerSessionsRoutes(app: Express, deps: SessionsRouteDependencies): void {
  const authenticate = requireTenant(deps.apiKeys);

  app.get('/sessions/:id', authenticate, async (request, response) => {
    const session = await ownSession(request, response, deps.store);
    response.json(sessionView(session, response.locals.tenant as TenantConfig));
  });

  app.delete('/sessions/:id', authenticate, async (request, response) => {
    const tenant = response.locals.tenant as TenantConfig;
    const sessionId = String(request.params.id);
    if (!SESSION_ID_PATTERN.test(sessionId)) throw notFound();
    const outcome = await terminateSession(sessionId, tenant.id, deps.ending);
    if (outcome === 'notFound') throw notFound();
    const session = await deps.store.get(sessionId);
    if (!session) throw notFound();
    if (outcome === 'alreadyEnded' && session.state === 'failed') {
      throw conflict(`session ${sessionId} already failed`);
    }
    response.json(sessionView(session, tenant));
  });
}

/**
 * The session `:id` of the key's tenant, or a 404. Another tenant's session answers exactly like an
 * unknown one, and so does a malformed id: ids must not be probeable.
 */
export async function ownSession(request: Request, response: Response, store: SessionStore, options: { withHistory?: boolean } = {}): Promise<Session> {
  const sessionId = String(request.params.id);
  const session = SESSION_ID_PATTERN.test(sessionId) ? await store.get(sessionId, options) : undefined;
  if (!session || session.tenant !== (response.locals.tenant as TenantConfig).id) throw notFound();
  return session;
}


/** The session as the contract shows it: client id and contact-identification data masked. */
export function sessionView(session: Session, tenant: TenantConfig) {
  const channel = tenant.channels.find((candidate) => candidate.name === session.channel);
  const maskedKeys = [...ALWAYS_MASKED_KEYS, ...(channel?.contactIdKeys ?? [])];
  return {
    sessionId: session.sessionId,
    tenant: session.tenant,
    channel: session.channel,
    state: session.state,
    delivery: session.delivery,
    type: session.type,
    subtype: session.subtype,
    chatQueueKey: session.chatQueueKey,
    terminate: session.terminate,
    clientId: maskIdentifier(session.clientId),
    businessId: session.businessId,
    standardResponseId: session.standardResponseId,
    attempts: session.attempts,
    providerMessageId: session.providerMessageId,
    error: session.error,
    history: session.history,
    userData: maskUserData(session.userData, maskedKeys),
    engaged: session.engaged,
    lastInboundAt: session.lastInboundAt,
    lastOutboundAt: session.lastOutboundAt,
    messages: session.messageCount + (session.standardResponseId ? 1 : 0),
    customerName: session.customerName,
  };
}
