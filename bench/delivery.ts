/**
 * bench/delivery: sends/s from the delivery queue to a loopback fake WhatsApp Cloud API at worker
 * concurrency 1, 10 and 50, with status tracking on (session transitions, provider-message index,
 * chat-queue placement, per-number pacing set above the load), against a bare BullMQ worker doing
 * one HTTP POST per job, measured in the same run on the same Redis.
 *
 *   npm run bench:delivery -- [--jobs 3000] [--concurrency 1,10,50]
 *
 * The queue is filled first (through POST /esp for the gateway), then a worker process starts and
 * the clock runs until every job has completed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { deleteKeysUnder } from './redis-cleanup.js';
import { pino } from 'pino';
import { parseConfig } from '../src/config/load.js';
import { createGateway } from '../src/gateway.js';
import { benchWhatsAppConfig } from './servers/bench-config.js';

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '3000' }, concurrency: { type: 'string', default: '1,10,50' } } });
const jobs = Number(values.jobs);
const levels = values.concurrency.split(',').map(Number);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const runId = Date.now();
const templatesDir = new URL('../templates', import.meta.url).pathname;

function startProcess(script: string, env: Record<string, string>, readyLine: (line: string) => boolean): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (readyLine(line)) resolve({ child, line });
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
}

/** The rate limit far above the load: the bench measures sending, not pacing. */
const gatewayConfig = (providerUrl: string) => benchWhatsAppConfig({ baseUrl: providerUrl, phoneNumberId: '1000', token: 'bench' }, { rateLimit: { perSecond: 1_000_000 } });

const invite = (i: number) =>
  JSON.stringify({
    ReferenceId: i,
    Request: {
      AppName: 'IVR_Main',
      Service: 'ChatService',
      Method: 'InviteToChat',
      Parameters: {
        _umsClientId: `+1555${String(3_000_000 + i)}`,
        _umsBusinessId: '+15550001111',
        StandardResponseId: 'order_ready',
        Contact: { FirstName: 'Ana' },
        CustomProperties: { OrderId: `A-${i}`, Track: `T${i}` },
      },
    },
    UserData: { GCTI_Chat_SubmitAsOutbound: 'true', StoreName: 'Main St' },
  });

async function fillThroughGateway(prefix: string, providerUrl: string): Promise<void> {
  const gateway = await createGateway({
    config: parseConfig(gatewayConfig(providerUrl)),
    redisUrl,
    redisPrefix: prefix,
    templatesDir,
    role: 'api',
    workerConcurrency: 1,
    logger: pino({ level: 'warn' }),
    processMetrics: false,
  });
  const server = gateway.app!.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/esp`;
  let next = 0;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (next < jobs) {
        const i = next++;
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer bench-key' }, body: invite(i) });
        if (response.status !== 200) throw new Error(`invite ${i}: HTTP ${response.status} ${await response.text()}`);
      }
    }),
  );
  await new Promise((resolve) => server.close(resolve));
  await gateway.close();
}

async function fillBare(prefix: string): Promise<void> {
  const connection = new Redis(redisUrl);
  const queue = new Queue('invite-delivery', { connection, prefix: `${prefix}:bull` });
  const body = { messaging_product: 'whatsapp', recipient_type: 'individual', to: '+15551230001', type: 'template', template: { name: 'order_ready', language: { code: 'en_US' } } };
  for (let i = 0; i < jobs; i += 500) {
    await queue.addBulk(Array.from({ length: Math.min(500, jobs - i) }, (_, k) => ({ name: 'send', data: { body: { ...body, to: `+1555${String(3_000_000 + i + k)}` } } })));
  }
  await queue.close();
  connection.disconnect();
}

/** Seconds until the queue under `prefix` has completed every job. */
async function timeUntilDrained(prefix: string, startWorker: () => Promise<ChildProcess>): Promise<number> {
  const connection = new Redis(redisUrl);
  const queue = new Queue('invite-delivery', { connection, prefix: `${prefix}:bull` });
  const worker = await startWorker();
  const started = performance.now();
  try {
    for (;;) {
      const counts = await queue.getJobCounts('completed', 'failed');
      if ((counts.completed ?? 0) + (counts.failed ?? 0) >= jobs) {
        if (counts.failed) throw new Error(`${counts.failed} jobs failed`);
        return (performance.now() - started) / 1_000;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await stop(worker);
    await queue.close();
    connection.disconnect();
  }
}

const provider = await startProcess(new URL('./servers/fake-provider.ts', import.meta.url).pathname, {}, (line) => line.startsWith('{'));
const providerUrl = `http://127.0.0.1:${(JSON.parse(provider.line) as { port: number }).port}`;
const configDir = mkdtempSync(join(tmpdir(), 'ig-bench-'));
const configPath = join(configDir, 'gateway.json');
writeFileSync(configPath, JSON.stringify(gatewayConfig(providerUrl)));

const rows: string[] = [];
try {
  for (const concurrency of levels) {
    const gatewayPrefix = `igbench:delivery:${runId}:gw${concurrency}`;
    await fillThroughGateway(gatewayPrefix, providerUrl);
    const gatewaySeconds = await timeUntilDrained(gatewayPrefix, async () =>
      (
        await startProcess(
          new URL('../src/main.ts', import.meta.url).pathname,
          { REDIS_URL: redisUrl, REDIS_PREFIX: gatewayPrefix, GATEWAY_ROLE: 'worker', GATEWAY_CONFIG: configPath, WORKER_CONCURRENCY: String(concurrency), LOG_LEVEL: 'info' },
          (line) => line.includes('worker running'),
        )
      ).child,
    );
    await deleteKeysUnder(redisUrl, gatewayPrefix);

    const barePrefix = `igbench:delivery:${runId}:bare${concurrency}`;
    await fillBare(barePrefix);
    const bareSeconds = await timeUntilDrained(barePrefix, async () =>
      (
        await startProcess(
          new URL('./servers/bare-worker.ts', import.meta.url).pathname,
          { REDIS_URL: redisUrl, REDIS_PREFIX: barePrefix, PROVIDER_URL: `${providerUrl}/v23.0/1000/messages`, CONCURRENCY: String(concurrency) },
          (line) => line === 'ready',
        )
      ).child,
    );
    await deleteKeysUnder(redisUrl, barePrefix);

    const gatewayRate = jobs / gatewaySeconds;
    const bareRate = jobs / bareSeconds;
    rows.push(`${String(concurrency).padStart(11)} ${gatewayRate.toFixed(0).padStart(14)} ${bareRate.toFixed(0).padStart(12)} ${(gatewayRate / bareRate).toFixed(2).padStart(7)}`);
    console.error(`concurrency ${concurrency} done`);
  }
} finally {
  await stop(provider.child);
}
console.log(`delivery of ${jobs} invites to a loopback WhatsApp Cloud API fake`);
console.log(`${'concurrency'.padStart(11)} ${'gateway send/s'.padStart(14)} ${'bare send/s'.padStart(12)} ${'ratio'.padStart(7)}`);
for (const row of rows) console.log(row);
console.log('goal: 1,000 send/s or more at concurrency 50, and a ratio of 0.5 or more');
