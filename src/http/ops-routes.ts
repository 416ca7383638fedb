import type { Express } from 'express';
import type { GatewayMetrics } from './metrics.js';
import { openApiDocument } from './openapi.js';

export interface OpsDependencies {
  metrics: GatewayMetrics;
  /** Resolves when Redis answers a PING in time. */
  redisAnswers(): Promise<boolean>;
}

/** Liveness, readiness, Prometheus metrics and the OpenAPI description; no authentication. */
export function registerOpsRoutes(app: Express, deps: OpsDependencies): void {
  app.get('/livez', (_request, response) => {
    response.json({ status: 'ok' });
  });
  app.get('/readyz', async (_request, response) => {
    const ready = await deps.redisAnswers();
    // Like every 503 of the gateway: says when to look again.
    if (!ready) response.set('Retry-After', '5');
    response.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'redis unavailable' });
  });
  app.get('/metrics', async (_request, response) => {
    response.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  app.get('/openapi.json', (_request, response) => {
    response.json(openApiDocument);
  });
}
