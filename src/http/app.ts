import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { bodyProblem, logBodyProblem } from './body-errors.js';
import { isRedisUnavailable, REDIS_RETRY_AFTER_SECONDS } from './redis-unavailable.js';
import { registerCampaignRoutes, type CampaignsRouteDependencies } from './campaigns-route.js';
import { registerChannelsRoutes } from './channels-route.js';
import { registerConversationsRoutes, type ConversationsRouteDependencies } from './conversations-route.js';
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
  app.use((_request, response) => {
    response.status(404).json({ error: 'not found' });
  });
  // Last resort for non-ESP routes (POST /esp answers its own faults): no stack in the body, and
  // for a body the parser refused, no part of the body in the answer or the log either.
  app.use((error: unknown, request: Request, response: Response, _next: NextFunction) => {
    if (isRedisUnavailable(error)) {
      response.status(503).set('Retry-After', String(REDIS_RETRY_AFTER_SECONDS)).json({ error: 'Redis is unavailable; try again later' });
      return;
    }
    const refused = bodyProblem(error);
    if (refused) {
      logBodyProblem(deps.logger, request, refused);
      response.status(refused.status).json({ error: refused.message });
      return;
    }
    const { status, expose } = error as { status?: number; expose?: boolean };
    if (status && status >= 400 && status < 500) {
      // The caller's mistake (a path whose %-escapes do not decode, …): said without quoting the
      // request, which may hold customer data, and logged without a stack.
      deps.logger.info({ status, method: request.method }, 'request refused');
      response.status(status).json({ error: error instanceof URIError ? 'the path holds a %-escape that does not decode' : expose ? (error as Error).message : 'the request cannot be read' });
      return;
    }
    deps.logger.error({ err: error }, 'unexpected error');
    response.status(500).json({ error: 'internal error; it is logged' });
  });
  return app;
}
