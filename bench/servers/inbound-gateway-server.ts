/**
 * The gateway as bench/inbound measures it: the real app (API role) with one WhatsApp Cloud channel,
 * taking customer messages on /webhooks/whatsapp into transcripts and the events stream. Prints its port.
 */
import { inboundBenchConfig } from './bench-config.js';
import { createBenchGateway, serveForBench } from './serve.js';

serveForBench(await createBenchGateway(inboundBenchConfig(), 'igbench-inbound', { processMetrics: false }));
