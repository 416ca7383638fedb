/**
 * The baseline of bench/esp-throughput: a bare express endpoint that only parses JSON and does
 * `Queue.add` of the same payload, on the same Redis. Prints its port on stdout.
 */
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import express from 'express';
import { Redis } from 'ioredis';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = process.env.REDIS_PREFIX ?? 'igbench-bare';
const connection = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
await new Promise((resolve) => connection.once('ready', resolve));
const queue = new Queue('invite-delivery', { connection, prefix: `${prefix}:bull` });

const app = express();
app.post('/esp', express.json({ limit: 262_144 }), async (request, response) => {
  const sessionId = randomUUID();
  await queue.add('invite', { sessionId, request: request.body }, { jobId: sessionId, attempts: 8 });
  response.json({ ReferenceId: request.body.ReferenceId, Event: 'Event3rdServerResponse', Request: { _umsChatSessionId: sessionId } });
});
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 }));
});
process.on('SIGTERM', async () => {
  server.close();
  await queue.close();
  connection.disconnect();
  process.exit(0);
});
