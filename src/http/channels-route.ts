import type { Express } from 'express';
import type { SessionStore } from '../sessions/session-store.js';
import type { ApiKeys } from './auth.js';

export interface ChannelsRouteDependencies {
  apiKeys: ApiKeys;
  store: SessionStore;
}

/**
 * `POST /channels/:name/resume`: lifts a stop after the provider unblocked the account (a stop for
 * expired credentials also lifts itself when the channel runs with new ones).
 */
export function registerChannelsRoutes(app: Express, deps: ChannelsRouteDependencies): void {
  app.post('/channels/:name/resume', async (request, response) => {
    const { tenant, refusal } = deps.apiKeys.identify(request);
    if (!tenant) {
      response.status(401).json({ error: refusal });
      return;
    }
    const channel = tenant.channels.find((candidate) => candidate.name === request.params.name);
    if (!channel) {
      response.status(404).json({ error: 'not found' });
      return;
    }
    response.json({ channel: channel.name, resumed: await deps.store.resumeChannel(tenant.id, channel.name) });
  });
}
