import express, { type Express } from 'express';
import type { Logger } from 'pino';
import { registerCampaignRoutes, type CampaignsRouteDependencies } from './campaigns-route.js';
import { registerChannelsRoutes } from './channels-route.js';
import { registerConversationsRoutes, type ConversationsRouteDependencies } from './conversations-route.js';
import { answerErrors, notFound } from './errors.js';
import { registerEspRoute, type EspRouteDependencies } from './esp-route.js';
import { registerOpsRoutes, type OpsDependencies } from './ops-routes.js';
import { registerSessionsRoutes, type SessionsRouteDependencies } from './sessions-route.js';
import { registerSuppressionsRoutes } from './suppressions-route.js';
import { registerProviderWebhooks } from './provider-webhooks-route.js';
import { registerWhatsAppWebhook, type WhatsAppWebhookDependencies } from './whatsapp-webhook-route.js';

export type AppDependencies = EspRouteDependencies & SessionsRouteDependencies & ConversationsRouteDependencies & Partial<Omit<CampaignsRouteDependencies, 'apiKeys' | 'limits' | 'logger'>> & OpsDependencies & WhatsAppWebhookDependencies & { logger: Logger };

export function createApp(deps: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // Routes sit on the app itself, POST /esp first: nested routers cost every invite a few µs.
  registerEspRoute(app, deps);
  registerSessionsRoutes(app, deps);
  registerConversationsRoutes(app, deps);
  registerSuppressionsRoutes(app, deps);
  registerChannelsRoutes(app, deps);
  const { campaigns, runner, catalog, ids } = deps;
  if (campaigns && runner && catalog && ids) registerCampaignRoutes(app, { apiKeys: deps.apiKeys, campaigns, runner, inviteToChat: deps.inviteToChat, catalog, ids, limits: deps.config.limits, logger: deps.logger });
  registerWhatsAppWebhook(app, deps);
  registerProviderWebhooks(app, deps);
  registerOpsRoutes(app, deps);
  app.use(() => {
    throw notFound();
  });
  // Every non-ESP route's errors end here, in one shape (POST /esp answers its own faults).
  app.use(answerErrors(deps.logger));
  return app;
}
