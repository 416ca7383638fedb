import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeWhatsApp } from '../support/fake-whatsapp.js';
import { scratchDirectory } from '../support/scratch.js';
import { ChaosRedis, deliveryStats, GatewayProcess, InviteLoad, startProvider, verdict, writeChaosConfig, type Verdict } from './harness.js';

/** Invites kept in flight by the load. */
const CONCURRENCY = 10;
/** WORKER_CONCURRENCY of the chaos workers (harness.ts): at most this many sends are cut short by one kill. */
const WORKER_CONCURRENCY = 20;

/**
 * The promises under faults, with real processes: an accepted invite is never lost, an invite
 * answered with a fault is never sent, and duplicates (at least once) are counted and bounded.
 * Each test prints its figures; docs/reliability.md keeps them.
 */
describe('delivery guarantees under faults (api + worker processes, redis-server with AOF)', () => {
  const dir = scratchDirectory('chaos');
  let redis: ChaosRedis;
  let provider: FakeWhatsApp;
  let configPath: string;
  const processes: GatewayProcess[] = [];

  beforeAll(async () => {
    redis = await ChaosRedis.start(dir);
    provider = await startProvider(50);
    configPath = writeChaosConfig(dir, provider);
  });
  afterEach(async () => {
    await Promise.all(processes.splice(0).map((process) => process.kill('SIGKILL')));
  });
  afterAll(async () => {
    await redis?.stop();
    await provider?.stop();
  });

  async function start(role: 'api' | 'worker', prefix: string, port?: number): Promise<GatewayProcess> {
    const gateway = await GatewayProcess.start(role, { redisUrl: redis.url, prefix, configPath, ...(port ? { port } : {}) });
    processes.push(gateway);
    return gateway;
  }

  function report(scenario: string, result: Verdict, stats: Record<string, number>): void {
    const { lost, refusedSent, ...figures } = result;
    console.log(`[chaos] ${scenario}: ${JSON.stringify({ ...figures, lost: lost.length, refusedSent: refusedSent.length, stats })}`);
  }

  it('CLIENT PAUSE longer than the command timeout: 0 accepted invites lost, 0 refused invites sent', async () => {
    const prefix = `chaos-pause-${randomBytes(3).toString('hex')}`;
    const api = await start('api', prefix);
    await start('worker', prefix);
    const load = new InviteLoad(() => api.url, 1).start(CONCURRENCY);
    await load.answered(200);
    await redis.pause(3_000);
    await sleep(3_000);
    await load.answered(load.answers.size + 200);
    await load.stop();

    const result = await verdict(load, provider);
    const stats = await deliveryStats(redis.url, prefix);
    report('client pause 3 s', result, stats);
    expect(result.refused).toBeGreaterThan(0);
    expect(result.lost).toEqual([]);
    expect(result.refusedSent).toEqual([]);
    expect(stats.refusedButSent ?? 0).toBe(0);
  });

  it('Redis kill -9 and restart under load: 0 accepted invites lost, 0 refused invites sent', async () => {
    const prefix = `chaos-rkill-${randomBytes(3).toString('hex')}`;
    const api = await start('api', prefix);
    await start('worker', prefix);
    const load = new InviteLoad(() => api.url, 2).start(CONCURRENCY);
    await load.answered(300);
    await redis.kill9();
    await sleep(1_000);
    await redis.restart();
    await load.answered(load.answers.size + 300, 60_000);
    await load.stop();

    const result = await verdict(load, provider);
    const stats = await deliveryStats(redis.url, prefix);
    report('redis kill -9, restart after 1 s', result, stats);
    expect(result.refused).toBeGreaterThan(0);
    expect(result.lost).toEqual([]);
    expect(result.refusedSent).toEqual([]);
  });

  it('worker kill -9 mid-delivery: 0 lost, duplicates counted in /metrics and at most one per send in flight', async () => {
    const prefix = `chaos-wkill-${randomBytes(3).toString('hex')}`;
    const api = await start('api', prefix);
    const worker = await start('worker', prefix);
    provider.latencyMs = 100;
    const load = new InviteLoad(() => api.url, 3).start(CONCURRENCY, 1_000);
    await load.answered(300);
    await worker.kill('SIGKILL');
    // A new worker takes the killed one's jobs once their locks expire (BullMQ: about 30 s).
    await start('worker', prefix);
    await load.answered(1_000, 60_000);
    await load.stop();

    const result = await verdict(load, provider, 120_000);
    provider.latencyMs = 50;
    const stats = await deliveryStats(redis.url, prefix);
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    report('worker kill -9', result, stats);
    expect(result.accepted).toBe(1_000);
    expect(result.lost).toEqual([]);
    expect(result.duplicates).toBeLessThanOrEqual(stats.sendsAfterUnknownOutcome ?? 0);
    expect(stats.sendsAfterUnknownOutcome ?? 0).toBeLessThanOrEqual(WORKER_CONCURRENCY);
    expect(metrics).toMatch(new RegExp(`^invite_gateway_possible_duplicate_sends_total ${stats.sendsAfterUnknownOutcome ?? 0}$`, 'm'));
  });

  it('SIGTERM of the API under load: every request it started reading is answered, 0 lost, 0 refused sent', async () => {
    const prefix = `chaos-term-${randomBytes(3).toString('hex')}`;
    const first = await start('api', prefix);
    await start('worker', prefix);
    let target = first.url;
    const load = new InviteLoad(() => target, 4).start(CONCURRENCY);
    await load.answered(300);
    expect(await first.kill('SIGTERM')).toBe(0);
    const second = await start('api', prefix, first.port);
    target = second.url;
    await load.answered(load.answers.size + 300);
    await load.stop();

    const result = await verdict(load, provider);
    report('api SIGTERM', result, await deliveryStats(redis.url, prefix));
    expect(result.reset).toBe(0);
    expect(result.lost).toEqual([]);
    expect(result.refusedSent).toEqual([]);
  });
});
