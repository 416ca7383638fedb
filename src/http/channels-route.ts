import type { Express } from 'express';
import type { SessionStore } from '../sessions/session-store.js';
import { requireTenant, type ApiKeys } from './auth.js';
import type { TenantConfig } from '../config/schema.js';
import { notFound } from './errors.js';

export interface ChannelsRouteDependencies {
  apiKeys: ApiKeys;
  store: SessionStore;
}

/**
 * `POST /channels/:name/resume`: lifts a stop after the provider unblocked the account (a stop for
 * expired credentials also lifts itself when the channel runs with new ones).
 */
export function registerChannelsRoutes(app: Express, deps: ChannelsRouteDependencies): void {
  app.post('/channels/:name/resume', requireTenant(deps.apiKeys), async (request, response) => {
    const tenant = response.locals.tenant as TenantConfig;
    const channel = tenant.channels.find((candidate) => candidate.name === request.params.name);
    if (!channel) throw notFound();
    response.json({ channel: channel.name, resumed: await deps.store.resumeChannel(tenant.id, channel.name) });
  });
}
