/**
 * bench/inbound: customer messages per second through POST /webhooks/whatsapp (signed, several
 * messages per notification as Meta batches them) into transcripts and the tenant's events stream,
 * against a bare endpoint that only checks the signature and XADDs the raw body, in the same run on
 * the same Redis. Goal: at least 0.5 of the baseline and 2,000 messages/s on one process.
 *
 *   npm run bench:inbound -- [--seconds 10] [--connections 20] [--batch 10] [--customers 2000] [--rounds 2]
 *
 * Each server runs in its own process and the load comes from this one (autocannon). Message ids
 * never repeat (a repeat would be a cheap duplicate); customers rotate, so most messages join a
 * session the first one of that customer opened.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { deleteKeysUnder } from './redis-cleanup.js';
import { BENCH_APP_SECRET, BENCH_PHONE_NUMBER_ID } from './servers/bench-config.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '20' },
    batch: { type: 'string', default: '10' },
    customers: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '2' },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const batch = Number(values.batch);
const customers = Number(values.customers);
const rounds = Number(values.rounds);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const runId = `${Date.now()}`;

interface Figures {
  messagesPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  recorded?: number;
}

let sequence = 0;
/** One notification of `batch` text messages from rotating customers, signed as Meta signs it. */
function nextNotification(label: string): { body: string; signature: string } {
  const messages = Array.from({ length: batch }, () => {
    const n = sequence++;
    return { from: `1555${String(1_000_000 + (n % customers))}`, id: `wamid.BENCH.${label}.${runId}.${n}`, timestamp: String(Math.floor(Date.now() / 1_000)), type: 'text', text: { body: `message ${n}` } };
  });
  const body = JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: 'WABA', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550001111', phone_number_id: BENCH_PHONE_NUMBER_ID }, contacts: [], messages } }] }],
  });
  return { body, signature: `sha256=${createHmac('sha256', BENCH_APP_SECRET).update(body).digest('hex')}` };
}

async function startServer(script: string, prefix: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, REDIS_URL: redisUrl, REDIS_PREFIX: prefix, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] });
  for await (const line of createInterface({ input: child.stdout! })) {
    if (line.startsWith('{')) return { child, port: (JSON.parse(line) as { port: number }).port };
  }
  throw new Error(`${script} exited before listening`);
}

async function load(port: number, label: string, durationSeconds: number): Promise<Figures> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: durationSeconds,
    requests: [
      {
        method: 'POST',
        path: '/webhooks/whatsapp',
        setupRequest: (request) => {
          const { body, signature } = nextNotification(label);
          return { ...request, body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature } };
        },
      },
    ],
  });
  return { messagesPerSecond: result.requests.average * batch, p50: result.latency.p50, p99: result.latency.p99, errors: result.non2xx + result.errors + result.timeouts };
}

async function measure(label: string, script: string, countRecorded: (prefix: string) => Promise<number>): Promise<Figures> {
  const prefix = `igbench:inbound-${label}:${runId}`;
  const { child, port } = await startServer(script, prefix);
  try {
    await load(port, `${label}-warm`, 2);
    const figures = await load(port, label, seconds);
    return { ...figures, recorded: await countRecorded(prefix) };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await deleteKeysUnder(redisUrl, prefix);
  }
}

const redis = new Redis(redisUrl);
const streamLength = (key: string) => redis.xlen(key);
const baseline: Figures[] = [];
const gateway: Figures[] = [];
for (let round = 1; round <= rounds; round++) {
  baseline.push(await measure(`bare${round}`, new URL('./servers/inbound-baseline-server.ts', import.meta.url).pathname, (prefix) => streamLength(`${prefix}:raw`)));
  gateway.push(await measure(`gw${round}`, new URL('./servers/inbound-gateway-server.ts', import.meta.url).pathname, (prefix) => streamLength(`${prefix}:events:1`)));
  console.error(`round ${round}/${rounds} done`);
}
redis.disconnect();

const best = (figures: Figures[]) => figures.reduce((a, b) => (b.messagesPerSecond > a.messagesPerSecond ? b : a));
const row = (name: string, f: Figures) =>
  `${name.padEnd(40)} ${f.messagesPerSecond.toFixed(0).padStart(8)} ${f.p50.toFixed(1).padStart(8)} ${f.p99.toFixed(1).padStart(8)} ${String(f.errors).padStart(7)} ${String(f.recorded ?? '').padStart(9)}`;
console.log(`POST /webhooks/whatsapp, ${batch} messages per notification, ${customers} customers, ${connections} connections, ${seconds} s per round, best of ${rounds}`);
console.log(`${'endpoint'.padEnd(40)} ${'msg/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'errors'.padStart(7)} ${'in Redis'.padStart(9)}`);
console.log(row('baseline: verify signature + XADD raw', best(baseline)));
console.log(row('invite-gateway: transcripts + events', best(gateway)));
const ratios = baseline.map((b, i) => gateway[i]!.messagesPerSecond / b.messagesPerSecond);
console.log(`ratio gateway / baseline: ${(best(gateway).messagesPerSecond / best(baseline).messagesPerSecond).toFixed(2)} of the best rounds; per round ${ratios.map((r) => r.toFixed(2)).join(', ')} (goal: 0.5 or more, and 2,000 msg/s or more)`);
