/**
 * bench/esp-throughput: invites/s and latency of POST /esp against a bare express endpoint that
 * only does `Queue.add` of the same payload, measured in the same run on the same Redis.
 *
 *   npm run bench:esp -- [--seconds 10] [--connections 50] [--rounds 2] [--compare <git ref>]
 *
 * Each server runs in its own process and the load comes from this one (autocannon), so the
 * servers compete for the same two cores as in production. Every request carries its own customer
 * number and order id, as real traffic does (one repeated body would flatter any cache on the
 * path). Rounds alternate bare / gateway and the best round of each is kept, which damps noise
 * from the machine. `--compare` adds the gateway at another revision (checked out into a
 * temporary worktree) to each round: a before/after of a change, measured in the same sitting.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { deleteKeysUnder } from './redis-cleanup.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '2' },
    compare: { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const rounds = Number(values.rounds);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const runId = `${Date.now()}`;

/** The n-th request's body: its own customer number (+1555…), order id and ReferenceId. */
function inviteBody(n: number): string {
  const order = `A-${100_000 + n}`;
  return JSON.stringify({
    ReferenceId: n,
    Request: {
      AppName: 'IVR_Main',
      Service: 'ChatService',
      Method: 'InviteToChat',
      Parameters: {
        _umsChannel: 'whatsapp-main',
        _umsClientId: `+1555${String(n % 10_000_000).padStart(7, '0')}`,
        _umsBusinessId: '+15550001111',
        StandardResponseId: 'order_ready',
        Contact: { FirstName: 'Ana', LastName: 'Silva' },
        CustomProperties: { OrderId: order, Track: order.replace('-', '') },
      },
    },
    UserData: { GCTI_Chat_SubmitAsOutbound: 'true', LastCalledAgent_EmployeeID: 'ag7102', StoreName: 'Main St' },
  });
}
let requestsMade = 0;

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
    requests: [{ setupRequest: (request) => ({ ...request, body: inviteBody(++requestsMade) }) }],
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

/**
 * The gateway's bench server as it is at `ref`, in a temporary worktree sharing this checkout's
 * node_modules (a dependency change between the two is not measured).
 */
function serverAtRevision(ref: string): string {
  const tree = mkdtempSync(join(tmpdir(), 'igbench-rev-'));
  execFileSync('git', ['worktree', 'add', '--detach', tree, ref], { stdio: 'ignore' });
  symlinkSync(new URL('../node_modules', import.meta.url).pathname, join(tree, 'node_modules'));
  const script = join(tree, 'bench/servers/gateway-server.ts');
  if (!existsSync(script)) throw new Error(`${ref} has no bench/servers/gateway-server.ts`);
  process.on('exit', () => execFileSync('git', ['worktree', 'remove', '--force', tree], { stdio: 'ignore' }));
  return script;
}

const contenders: Array<{ name: string; script: string; figures: Figures[] }> = [
  { name: 'bare express + Queue.add', script: new URL('./servers/bare-server.ts', import.meta.url).pathname, figures: [] },
];
if (values.compare) contenders.push({ name: `gateway at ${values.compare}`, script: serverAtRevision(values.compare), figures: [] });
contenders.push({ name: 'invite-gateway (api role)', script: new URL('./servers/gateway-server.ts', import.meta.url).pathname, figures: [] });

for (let round = 1; round <= rounds; round++) {
  for (const [index, contender] of contenders.entries()) contender.figures.push(await measure(`c${index}`, contender.script));
  console.error(`round ${round}/${rounds} done`);
}

const row = (name: string, f: Figures) =>
  `${name.padEnd(28)} ${f.invitesPerSecond.toFixed(0).padStart(8)} ${f.p50.toFixed(1).padStart(8)} ${f.p99.toFixed(1).padStart(8)} ${String(f.errors).padStart(7)}`;
const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
console.log(`POST /esp, ${connections} connections, ${seconds} s per round, best of ${rounds} rounds, one body per request`);
console.log(`${'endpoint'.padEnd(28)} ${'inv/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'errors'.padStart(7)}`);
for (const contender of contenders) console.log(row(contender.name, best(contender.figures)));
// Each round measures all back to back, so its own ratio is the fairest comparison under a
// machine whose load drifts; the spread says how much to trust the figure.
const bare = contenders[0]!;
for (const contender of contenders.slice(1)) {
  const ratio = best(contender.figures).invitesPerSecond / best(bare.figures).invitesPerSecond;
  const roundRatios = bare.figures.map((b, i) => contender.figures[i]!.invitesPerSecond / b.invitesPerSecond).sort((a, b) => a - b);
  const median = roundRatios[Math.floor(roundRatios.length / 2)]!;
  console.log(`${contender.name} / bare: ${percent(ratio)} of the best rounds (goal: 70% or more); per round ${roundRatios.map(percent).join(', ')} (median ${percent(median)})`);
}
