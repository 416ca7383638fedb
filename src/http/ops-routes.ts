import express, { type Router } from 'express';
import type { GatewayMetrics } from './metrics.js';
import { openApiDocument } from './openapi.js';

export interface OpsDependencies {
  metrics: GatewayMetrics;
  /** Resolves when Redis answers a PING in time. */
  redisAnswers(): Promise<boolean>;
}

/** Liveness, readiness, Prometheus metrics and the OpenAPI description; no authentication. */
export function opsRouter(deps: OpsDependencies): Router {
  const router = express.Router();
  router.get('/livez', (_request, response) => {
    response.json({ status: 'ok' });
  });
  router.get('/readyz', async (_request, response) => {
    const ready = await deps.redisAnswers();
    response.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'redis unavailable' });
  });
  router.get('/metrics', async (_request, response) => {
    response.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  router.get('/openapi.json', (_request, response) => {
    response.json(openApiDocument);
  });
  return router;
}
