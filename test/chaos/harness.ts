import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { freePort } from '../../src/redis/embedded.js';
import { FakeWhatsApp } from '../support/fake-whatsapp.js';
import { jsonInvite } from '../support/invites.js';

/**
 * The pieces of the chaos suite: a redis-server with AOF that can be killed and restarted, the
 * gateway as real processes (API and workers), a loopback WhatsApp Cloud API that records every
 * send, and a load of invites that remembers what each caller was answered.
 */

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CHAOS_KEY = 'chaos-key';
const TOKEN = 'chaos-token';

/** A redis-server of the test's own: AOF with fsync on every write, so a kill -9 loses nothing written. */
export class ChaosRedis {
  private child?: ChildProcess;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(dir: string): Promise<ChaosRedis> {
    const redis = new ChaosRedis(await freePort(), dir);
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts (again) on the same port and data directory: the AOF brings the data back. */
  async restart(): Promise<void> {
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.dir], {
      stdio: 'ignore',
    });
    await waitFor(async () => {
      const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        // Answers LOADING while it replays the AOF: ready only once a real command works.
        await probe.get('chaos:probe');
        return true;
      } catch {
        return undefined;
      } finally {
        probe.disconnect();
      }
    }, 10_000, 'redis-server to answer');
  }

  async kill9(): Promise<void> {
    await killAndWait(this.child, 'SIGKILL');
  }

  /** `CLIENT PAUSE ms ALL`: every client waits, commands pile up and run when the pause ends. */
  async pause(ms: number): Promise<void> {
    const client = new Redis(this.url);
    await client.call('CLIENT', 'PAUSE', String(ms), 'ALL');
    client.disconnect();
  }

  async stop(): Promise<void> {
    await killAndWait(this.child, 'SIGTERM');
  }
}

/** The loopback provider every chaos gateway sends to; it answers after `latencyMs`, so sends are in flight. */
export async function startProvider(latencyMs = 50): Promise<FakeWhatsApp> {
  const fake = new FakeWhatsApp(TOKEN);
  fake.latencyMs = latencyMs;
  await fake.start();
  return fake;
}

/** One tenant, one WhatsApp channel to the fake, fast retries so recovery is quick. */
export function writeChaosConfig(dir: string, provider: FakeWhatsApp): string {
  const path = join(dir, 'gateway.json');
  const config = {
    tenants: [
      {
        id: 1,
        apiKeys: [CHAOS_KEY],
        channels: [
          {
            name: 'whatsapp-main',
            type: 'whatsapp',
            businessIds: ['+15550001111'],
            inboundRouteByCall: '1:session-WA-inbound',
            connector: provider.connector('PNID-CHAOS'),
            rateLimit: { perSecond: 5_000 },
          },
        ],
      },
    ],
    limits: { queueLimitPerTenant: 1_000_000 },
    retry: { attempts: 20, baseDelayMs: 100, maxDelayMs: 1_000 },
  };
  writeFileSync(path, JSON.stringify(config));
  return path;
}

/** A gateway process (`npm start`'s entry point) in one role. */
export class GatewayProcess {
  readonly exited: Promise<number | null>;
  private log = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.stdout?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
  }

  static async start(role: 'api' | 'worker', env: { redisUrl: string; prefix: string; configPath: string; port?: number }): Promise<GatewayProcess> {
    const port = env.port ?? (await freePort());
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, GATEWAY_ROLE: role, REDIS_URL: env.redisUrl, REDIS_PREFIX: env.prefix, GATEWAY_CONFIG: env.configPath, PORT: String(port), WORKER_CONCURRENCY: '20', LOG_LEVEL: 'info' },
    });
    const gateway = new GatewayProcess(child, port);
    const ready = role === 'api' ? 'invite-gateway listening' : 'invite-gateway worker running';
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`gateway ${role} exited at start:\n${gateway.log.slice(-2_000)}`);
      return gateway.log.includes(ready) ? true : undefined;
    }, 30_000, `the ${role} process to start`);
    return gateway;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get output(): string {
    return this.log;
  }

  async kill(signal: NodeJS.Signals): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill(signal);
    return this.exited;
  }
}

export type Answer = 'accepted' | 'refused' | 'unanswered' | 'reset';

/** What each caller of the load was told, by the customer number it invited. */
export class InviteLoad {
  readonly answers = new Map<string, Answer>();
  private stopped = false;
  private sequence = 0;
  private readonly runners: Array<Promise<void>> = [];

  constructor(
    private readonly target: () => string,
    private readonly group: number,
  ) {}

  /** Keeps `concurrency` invites in flight until `stop`, or until `limit` were sent. */
  start(concurrency: number, limit = Number.POSITIVE_INFINITY): this {
    for (let i = 0; i < concurrency; i++) this.runners.push(this.run(limit));
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.runners);
  }

  /** Resolves once `count` invites were answered (any way). */
  async answered(count: number, timeoutMs = 30_000): Promise<void> {
    await waitFor(async () => (this.answers.size >= count ? true : undefined), timeoutMs, `${count} answered invites`);
  }

  numbers(answer: Answer): string[] {
    return [...this.answers].filter(([, given]) => given === answer).map(([number]) => number);
  }

  private async run(limit: number): Promise<void> {
    while (!this.stopped && this.sequence < limit) {
      const number = `+1${this.group}${String(10_000_000 + this.sequence++).padStart(9, '0')}`;
      const answer = await this.invite(number);
      this.answers.set(number, answer);
      // No server listening (an API restarting): do not spin on refused connections.
      if (answer === 'unanswered') await sleep(20);
    }
  }

  private async invite(number: string): Promise<Answer> {
    try {
      const response = await fetch(`${this.target()}/esp`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CHAOS_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(jsonInvite({ parameters: { _umsClientId: number } })),
        signal: AbortSignal.timeout(15_000),
      });
      const body = (await response.json()) as { Event?: string; Request?: { _umsChatSessionId?: string } };
      if (response.status === 200 && body.Request?._umsChatSessionId) return 'accepted';
      if (body.Event === 'Event3rdServerFault') return 'refused';
      return 'unanswered';
    } catch (error) {
      const code = (error as { cause?: { code?: string } }).cause?.code;
      // A reset means a request the server had started reading was dropped; a refused connection was never taken.
      return code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' ? 'reset' : 'unanswered';
    }
  }
}

/** The promise of the suite, checked once every accepted invite had its chance to be sent. */
export interface Verdict {
  accepted: number;
  refused: number;
  unanswered: number;
  reset: number;
  lost: string[];
  refusedSent: string[];
  duplicates: number;
}

export async function verdict(load: InviteLoad, provider: FakeWhatsApp, drainMs = 90_000): Promise<Verdict> {
  const accepted = load.numbers('accepted');
  // The provider is shared by the suite's tests: count only this load's numbers.
  const sends = () => {
    const count = new Map<string, number>();
    for (const send of provider.received) if (load.answers.has(send.body.to)) count.set(send.body.to, (count.get(send.body.to) ?? 0) + 1);
    return count;
  };
  await waitFor(async () => (accepted.every((number) => sends().has(number)) ? true : undefined), drainMs, 'every accepted invite to be sent').catch(() => undefined);
  // Refused invites whose writes landed late would be sent about now: give them the time to show.
  await sleep(2_000);
  const sent = sends();
  return {
    accepted: accepted.length,
    refused: load.numbers('refused').length,
    unanswered: load.numbers('unanswered').length,
    reset: load.numbers('reset').length,
    lost: accepted.filter((number) => !sent.has(number)),
    refusedSent: load.numbers('refused').filter((number) => sent.has(number)),
    duplicates: [...sent.values()].reduce((sum, times) => sum + times - 1, 0),
  };
}

/** The send-guarantee counters the gateway keeps in Redis (`/metrics` shows them). */
export async function deliveryStats(redisUrl: string, prefix: string): Promise<Record<string, number>> {
  const client = new Redis(redisUrl);
  try {
    const stored = await client.hgetall(`${prefix}:stats:delivery`);
    return Object.fromEntries(Object.entries(stored).map(([field, value]) => [field, Number(value)]));
  } finally {
    client.disconnect();
  }
}

export async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

async function killAndWait(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}
