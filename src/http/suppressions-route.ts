import type { Express, Request, Response } from 'express';
import type { TenantConfig } from '../config/schema.js';
import { maskIdentifier } from '../sessions/masking.js';
import type { SessionStore } from '../sessions/session-store.js';
import { requireTenant, type ApiKeys } from './auth.js';
import { badRequest, notFound } from './errors.js';

export interface SuppressionsRouteDependencies {
  apiKeys: ApiKeys;
  store: SessionStore;
}

const LARGEST_PAGE = 500;

/**
 * `GET /suppressions/:channel?cursor=&count=`: the customers suppressed on one of the tenant's
 * channels (masked), paged; `DELETE /suppressions/:channel/:clientId` lifts one (an operator's
 * decision, e.g. after a customer asked by phone).
 */
export function registerSuppressionsRoutes(app: Express, deps: SuppressionsRouteDependencies): void {
  const authenticate = requireTenant(deps.apiKeys);

  app.get('/suppressions/:channel', authenticate, async (request, response) => {
    const channel = ownChannel(request, response);
    const count = request.query.count === undefined ? 100 : Number(request.query.count);
    if (!Number.isInteger(count) || count < 1 || count > LARGEST_PAGE) throw badRequest(`count must be a whole number from 1 to ${LARGEST_PAGE}`);
    const cursor = typeof request.query.cursor === 'string' && /^\d{1,20}$/.test(request.query.cursor) ? request.query.cursor : '0';
    const page = await deps.store.suppressions(channel.tenant, channel.name, cursor, count);
    response.json({ suppressions: page.entries.map((entry) => ({ ...entry, clientId: maskIdentifier(entry.clientId) })), next: page.next });
  });

  app.delete('/suppressions/:channel/:clientId', authenticate, async (request, response) => {
    const channel = ownChannel(request, response);
    const lifted = await deps.store.liftSuppression(channel.tenant, channel.name, String(request.params.clientId));
    if (!lifted) throw notFound();
    response.status(204).end();
  });
}

/** The tenant's own channel of that name, or a 404 (another tenant's channel looks like no channel). */
function ownChannel(request: Request, response: Response): { tenant: number; name: string } {
  const tenant = response.locals.tenant as TenantConfig;
  const channel = tenant.channels.find((candidate) => candidate.name === request.params.channel);
  if (!channel) throw notFound();
  return { tenant: tenant.id, name: channel.name };
}
