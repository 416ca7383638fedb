/**
 * bench/campaign: uploads generated CSV campaigns (default 20,000 and 200,000 rows) to a real gateway
 * process (`src/main.ts`, role all, sandbox connector, pacing set above the load) through the CLI's
 * own client, and prints for each size:
 *   - rows/s accepted (upload start to the 202, every row stored in Redis), against a baseline
 *     measured in the same run: the same file parsed with csv-parse and RPUSHed to the same Redis
 *     1,000 rows per pipeline, with no HTTP, no checks and no duplicate detection;
 *   - the gateway's peak RSS while uploading and while sending (sampled from /proc every 100 ms);
 *     one fresh gateway per size, so equal peaks for both sizes mean memory is flat;
 *   - the time from the 202 to the last send, and sends/s.
 *
 * `--extra-workers N` starts N more processes with GATEWAY_ROLE=worker on the same Redis and key
 * prefix, which take delivery jobs beside the gateway's own worker: how sending scales with
 * processes, the answer the README gives when one machine is not enough.
 *
 *   npm run bench:campaign -- [--sizes 20000,200000] [--no-send] [--extra-workers 1]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse';
import { Redis } from 'ioredis';
import { CampaignClient, type CampaignStatus } from '../src/cli/campaign-client.js';
import { deleteKeysUnder } from './redis-cleanup.js';

const { values } = parseArgs({
  options: { sizes: { type: 'string', default: '20000,200000' }, 'no-send': { type: 'boolean', default: false }, 'extra-workers': { type: 'string', default: '0' } },
});
const extraWorkers = Number(values['extra-workers']);
const sizes = values.sizes.split(',').map(Number);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const directory = mkdtempSync(join(tmpdir(), 'bench-campaign-'));
const API_KEY = 'bench-key';
const BUSINESS_ID = '+15550001111';

const configPath = join(directory, 'gateway.json');
writeFileSync(
  configPath,
  JSON.stringify({
    tenants: [
      {
        id: 1,
        apiKeys: [API_KEY],
        channels: [
          {
            name: 'whatsapp-main',
            type: 'whatsapp',
            businessIds: [BUSINESS_ID],
            inboundRouteByCall: '1:session-WA-inbound',
            connector: { kind: 'sandbox', reportDelayMs: 2_000 },
            rateLimit: { perSecond: 1_000_000 },
          },
        ],
      },
    ],
  }),
);

async function writeCsv(rows: number): Promise<string> {
  const path = join(directory, `campaign-${rows}.csv`);
  const out = createWriteStream(path);
  out.write('_umsClientId,Contact.FirstName,CustomProperties.OrderId,UserData.PatientId\n');
  for (let i = 0; i < rows; i++) {
    if (!out.write(`+1555${String(2_000_000 + i)},Ana ${i % 1000},A-${i},p-${i}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return path;
}

/** The baseline: parse the same file and store it, 1,000 rows per pipeline, nothing else. */
async function bareStore(path: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl);
  const started = performance.now();
  let batch: string[] = [];
  for await (const record of createReadStream(path).pipe(parse({ columns: true }))) {
    batch.push(JSON.stringify(record));
    if (batch.length === 1000) {
      await redis.rpush(`${prefix}:bare`, ...batch);
      batch = [];
    }
  }
  if (batch.length > 0) await redis.rpush(`${prefix}:bare`, ...batch);
  const seconds = (performance.now() - started) / 1000;
  redis.disconnect();
  return seconds;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

function startProcess(prefix: string, port: number, role: 'all' | 'worker', logLevel = 'warn'): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, PORT: String(port), REDIS_URL: redisUrl, REDIS_PREFIX: prefix, GATEWAY_CONFIG: configPath, GATEWAY_ROLE: role, LOG_LEVEL: logLevel, WORKER_CONCURRENCY: '50' },
    stdio: ['ignore', role === 'worker' ? 'pipe' : 'inherit', 'inherit'],
  });
}

/** A worker process has no HTTP port to poll: it is ready when it logs that it runs. */
async function startWorkerProcess(prefix: string): Promise<ChildProcess> {
  const child = startProcess(prefix, await freePort(), 'worker', 'info');
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!output.includes('invite-gateway worker running')) return;
      child.stdout!.off('data', onData);
      // Keep reading, so that its later log lines never fill the pipe.
      child.stdout!.resume();
      resolve();
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`a worker process exited with ${code} before it ran`)));
  });
  return child;
}

async function startGateway(prefix: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = startProcess(prefix, port, 'all');
  const url = `http://127.0.0.1:${port}`;
  for (let tries = 0; ; tries++) {
    const up = await fetch(`${url}/livez`).then((response) => response.ok, () => false);
    if (up) return { child, url };
    if (tries > 300) throw new Error('the gateway did not start');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Peak resident memory of a process, sampled from /proc while a phase runs. */
class RssSampler {
  private peakKb = 0;
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly pid: number) {
    this.timer = setInterval(() => this.sample(), 100);
  }
  sample(): void {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
    if (match) this.peakKb = Math.max(this.peakKb, Number(match[1]));
  }
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return Math.round(this.peakKb / 1024);
  }
}

const finished = (status: CampaignStatus) => status.counts.waiting === 0 && status.counts.pending === 0;

async function measure(rows: number) {
  const path = await writeCsv(rows);
  const prefix = `igbench-campaign-${Date.now()}`;
  const baselineSeconds = await bareStore(path, prefix);

  const { child, url } = await startGateway(prefix);
  const workers = await Promise.all(Array.from({ length: extraWorkers }, () => startWorkerProcess(prefix)));
  const idle = new RssSampler(child.pid!).stop();
  const client = new CampaignClient({ url, apiKey: API_KEY });
  const uploadRss = new RssSampler(child.pid!);
  const started = performance.now();
  const stored = await client.upload({ path, bytes: statSync(path).size }, { name: `bench-${rows}`, _umsChannel: 'whatsapp-main', _umsBusinessId: BUSINESS_ID, StandardResponseId: 'order_ready', CustomProperties: { Track: 'T' }, UserData: { StoreName: 'Main St' } }, () => {});
  const uploadSeconds = (performance.now() - started) / 1000;
  const uploadPeak = uploadRss.stop();
  if (stored.rows !== rows) throw new Error(`the gateway stored ${stored.rows} rows, not ${rows}`);

  let sendSeconds: number | undefined;
  let sendPeak: number | undefined;
  if (!values['no-send']) {
    const sendRss = new RssSampler(child.pid!);
    const sendStarted = performance.now();
    let status = await client.status(stored.campaignId);
    while (!finished(status)) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      status = await client.status(stored.campaignId);
    }
    sendSeconds = (performance.now() - sendStarted) / 1000;
    sendPeak = sendRss.stop();
    if (status.counts.refused > 0 || status.counts.failed > 0) throw new Error(`rows refused or failed: ${JSON.stringify(status.counts)}`);
  }
  for (const started of [child, ...workers]) {
    started.kill('SIGTERM');
    await once(started, 'exit');
  }
  await deleteKeysUnder(redisUrl, prefix);
  rmSync(path);
  return { rows, uploadSeconds, baselineSeconds, idle, uploadPeak, sendSeconds, sendPeak };
}

console.log(`bench/campaign: sizes ${sizes.join(', ')} rows; gateway = src/main.ts (role all, sandbox, 50 delivery workers)${extraWorkers ? ` + ${extraWorkers} worker process${extraWorkers > 1 ? 'es' : ''}` : ''}; Node ${process.version}`);
const results = [];
for (const rows of sizes) {
  const result = await measure(rows);
  results.push(result);
  const accepted = rows / result.uploadSeconds;
  const baseline = rows / result.baselineSeconds;
  console.log(
    [
      `${rows} rows: accepted ${Math.round(accepted)} rows/s in ${result.uploadSeconds.toFixed(1)} s (baseline bare csv-parse + RPUSH: ${Math.round(baseline)} rows/s, ratio ${(accepted / baseline).toFixed(2)})`,
      `  gateway RSS: idle ${result.idle} MB, peak while uploading ${result.uploadPeak} MB${result.sendPeak === undefined ? '' : `, peak while sending ${result.sendPeak} MB`}`,
      result.sendSeconds === undefined ? '' : `  last send ${result.sendSeconds.toFixed(1)} s after the 202: ${Math.round(rows / result.sendSeconds)} sends/s`,
    ]
      .filter(Boolean)
      .join('\n'),
  );
}
rmSync(directory, { recursive: true, force: true });
