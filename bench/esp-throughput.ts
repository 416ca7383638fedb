/**
 * bench/esp-throughput: invites/s and latency of POST /esp against a bare express endpoint that
 * only does `Queue.add` of the same payload, measured in the same run on the same Redis.
 *
 *   npm run bench:esp -- [--seconds 10] [--connections 50] [--rounds 2]
 *
 * Each server runs in its own process and the load comes from this one (autocannon), so the
 * servers compete for the same two cores as in production. Rounds alternate bare/gateway and the
 * best round of each is kept, which damps noise from the machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { deleteKeysUnder } from './redis-cleanup.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '2' },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const rounds = Number(values.rounds);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const runId = `${Date.now()}`;

const invite = JSON.stringify({
  ReferenceId: 7,
  Request: {
    AppName: 'IVR_Main',
    Service: 'ChatService',
    Method: 'InviteToChat',
    Parameters: {
      _umsChannel: 'whatsapp-main',
      _umsClientId: '+15551230001',
      _umsBusinessId: '+15550001111',
      StandardResponseId: 'order_ready',
      Contact: { FirstName: 'Ana', LastName: 'Silva' },
      CustomProperties: { OrderId: 'A-1042', Track: 'A1042' },
    },
  },
  UserData: { GCTI_Chat_SubmitAsOutbound: 'true', LastCalledAgent_EmployeeID: 'ag7102', StoreName: 'Main St' },
});

interface Figures {
  invitesPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
}

async function startServer(script: string, prefix: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, REDIS_URL: redisUrl, REDIS_PREFIX: prefix, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    if (line.startsWith('{')) return { child, port: (JSON.parse(line) as { port: number }).port };
  }
  throw new Error(`${script} exited before listening`);
}

async function load(port: number, durationSeconds: number): Promise<Figures> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/esp`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer demo-key-tenant1' },
    body: invite,
    connections,
    duration: durationSeconds,
  });
  return {
    invitesPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.non2xx + result.errors + result.timeouts,
  };
}

async function measure(label: string, script: string): Promise<Figures> {
  const prefix = `igbench:${label}:${runId}`;
  const { child, port } = await startServer(script, prefix);
  try {
    await load(port, 2); // warm-up: JIT, connection pools, Lua script cache
    return await load(port, seconds);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await deleteKeysUnder(redisUrl, prefix);
  }
}

function best(figures: Figures[]): Figures {
  return figures.reduce((a, b) => (b.invitesPerSecond > a.invitesPerSecond ? b : a));
}

const bare: Figures[] = [];
const gateway: Figures[] = [];
for (let round = 1; round <= rounds; round++) {
  bare.push(await measure('bare', new URL('./servers/bare-server.ts', import.meta.url).pathname));
  gateway.push(await measure('gateway', new URL('./servers/gateway-server.ts', import.meta.url).pathname));
  console.error(`round ${round}/${rounds} done`);
}

const bareBest = best(bare);
const gatewayBest = best(gateway);
const row = (name: string, f: Figures) =>
  `${name.padEnd(28)} ${f.invitesPerSecond.toFixed(0).padStart(8)} ${f.p50.toFixed(1).padStart(8)} ${f.p99.toFixed(1).padStart(8)} ${String(f.errors).padStart(7)}`;
console.log(`POST /esp, ${connections} connections, ${seconds} s per round, best of ${rounds} rounds`);
console.log(`${'endpoint'.padEnd(28)} ${'inv/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'errors'.padStart(7)}`);
console.log(row('bare express + Queue.add', bareBest));
console.log(row('invite-gateway (api role)', gatewayBest));
const ratio = gatewayBest.invitesPerSecond / bareBest.invitesPerSecond;
// Each round measures both back to back, so its own ratio is the fairest comparison under a
// machine whose load drifts; the spread says how much to trust the figure.
const roundRatios = bare.map((b, i) => gateway[i]!.invitesPerSecond / b.invitesPerSecond).sort((a, b) => a - b);
const median = roundRatios[Math.floor(roundRatios.length / 2)]!;
const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
console.log(`ratio gateway / bare: ${percent(ratio)} of the best rounds (goal: 70% or more)`);
console.log(`per-round ratios: ${roundRatios.map(percent).join(', ')} (median ${percent(median)})`);
