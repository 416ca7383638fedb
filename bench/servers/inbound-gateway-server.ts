/**
 * The gateway as bench/inbound measures it: the real app (API role) with one WhatsApp Cloud channel,
 * taking customer messages on /webhooks/whatsapp into transcripts and the events stream. Prints its port.
 */
import { pino } from 'pino';
import { createGateway } from '../../src/gateway.js';
import { serveForBench } from './serve.js';
import { inboundBenchConfig } from './inbound-config.js';

const gateway = await createGateway({
  config: inboundBenchConfig(),
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  redisPrefix: process.env.REDIS_PREFIX ?? 'igbench-inbound',
  templatesDir: new URL('../../templates', import.meta.url).pathname,
  role: 'api',
  workerConcurrency: 1,
  logger: pino({ level: 'warn' }),
  processMetrics: false,
});
serveForBench(gateway);
