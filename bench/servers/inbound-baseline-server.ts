/**
 * The baseline of bench/inbound: a bare express endpoint that only checks the WhatsApp webhook
 * signature and XADDs the raw body to a stream, on the same Redis. Prints its port on stdout.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import express from 'express';
import { Redis } from 'ioredis';
import { BENCH_APP_SECRET } from './bench-config.js';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
await new Promise((resolve) => redis.once('ready', resolve));
const stream = `${process.env.REDIS_PREFIX ?? 'igbench-inbound-bare'}:raw`;

const app = express();
app.post('/webhooks/whatsapp', express.raw({ type: () => true, limit: '1mb' }), async (request, response) => {
  const expected = Buffer.from(`sha256=${createHmac('sha256', BENCH_APP_SECRET).update(request.body as Buffer).digest('hex')}`);
  const given = Buffer.from(request.get('x-hub-signature-256') ?? '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return void response.status(401).end();
  await redis.xadd(stream, 'MAXLEN', '~', '100000', '*', 'body', request.body as Buffer);
  response.json({ received: 1 });
});
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 }));
});
process.on('SIGTERM', async () => {
  server.close();
  redis.disconnect();
  process.exit(0);
});
