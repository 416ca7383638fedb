/**
 * The baseline of bench/delivery: a bare BullMQ worker doing one HTTP POST of the job's body per
 * job, nothing else. Env: REDIS_URL, REDIS_PREFIX, PROVIDER_URL, CONCURRENCY. Prints "ready".
 */
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';

const connection = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
const url = process.env.PROVIDER_URL!;
const worker = new Worker(
  'invite-delivery',
  async (job) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer bench' }, body: JSON.stringify(job.data.body) });
    await response.text();
  },
  { connection, prefix: `${process.env.REDIS_PREFIX}:bull`, concurrency: Number(process.env.CONCURRENCY ?? 1), removeOnComplete: { count: 1_000_000 } },
);
await worker.waitUntilReady();
console.log('ready');
process.on('SIGTERM', async () => {
  await worker.close();
  connection.disconnect();
  process.exit(0);
});
