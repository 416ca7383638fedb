import { pino } from 'pino';
import type { GatewayConfig } from '../../src/config/schema.js';
import { createGateway, type Gateway } from '../../src/gateway.js';

const TEMPLATES_DIR = new URL('../../templates', import.meta.url).pathname;

/**
 * The real app in the API role (the request path only; delivery workers run elsewhere), as the
 * benches measure it: warn-level logs, the sample templates, Redis from REDIS_URL and REDIS_PREFIX.
 */
export function createBenchGateway(config: GatewayConfig, defaultPrefix: string, options: { processMetrics?: boolean } = {}): Promise<Gateway> {
  return createGateway({
    config,
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    redisPrefix: process.env.REDIS_PREFIX ?? defaultPrefix,
    templatesDir: TEMPLATES_DIR,
    role: 'api',
    workerConcurrency: 1,
    logger: pino({ level: 'warn' }),
    ...options,
  });
}

/** Serves a bench gateway on a free loopback port, prints `{"port"}` for the bench, stops on SIGTERM. */
export function serveForBench(gateway: Gateway): void {
  const server = gateway.app!.listen(0, '127.0.0.1', () => {
    const address = server.address();
    console.log(JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 }));
  });
  process.on('SIGTERM', async () => {
    server.close();
    await gateway.close();
    process.exit(0);
  });
}
