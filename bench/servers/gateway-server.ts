/**
 * The gateway as bench/esp-throughput measures it: the real app (API role: the request path only,
 * delivery workers run elsewhere) on the sample configuration and templates. Prints its port.
 */
import { pino } from 'pino';
import { loadConfigFile, SAMPLE_CONFIG_PATH } from '../../src/config/load.js';
import { createGateway } from '../../src/gateway.js';
import { serveForBench } from './serve.js';

const gateway = await createGateway({
  config: loadConfigFile(SAMPLE_CONFIG_PATH),
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  redisPrefix: process.env.REDIS_PREFIX ?? 'igbench-gw',
  templatesDir: new URL('../../templates', import.meta.url).pathname,
  role: 'api',
  workerConcurrency: 1,
  logger: pino({ level: 'warn' }),
});
serveForBench(gateway);
