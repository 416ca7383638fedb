import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

/** A `redis-server` the gateway started itself because `REDIS_URL` is unset (demo and development). */
export interface EmbeddedRedis {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts `redis-server` on a free loopback port. It writes an append-only file under `dataDir`,
 * so invites accepted before a restart of the demo are not lost; production sets `REDIS_URL`.
 */
export async function startEmbeddedRedis(dataDir = '.redis-embedded'): Promise<EmbeddedRedis> {
  const port = await freePort();
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--dir', dir, '--appendfilename', 'gateway.aof'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const exited = waitForExit(child);
  const url = `redis://127.0.0.1:${port}`;
  await waitUntilAnswering(url, exited);
  return {
    url,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited.catch(() => undefined);
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

function waitForExit(child: ChildProcess): Promise<number | null> {
  return new Promise((resolveExit, reject) => {
    child.once('error', (error) =>
      reject(new Error(`cannot start redis-server (${error.message}); install Redis or set REDIS_URL`)),
    );
    child.once('exit', (code) => resolveExit(code));
  });
}

async function waitUntilAnswering(url: string, exited: Promise<number | null>): Promise<void> {
  let exitCode: number | null | undefined;
  exited.then((code) => (exitCode = code), () => undefined);
  for (let attempt = 0; attempt < 100; attempt++) {
    if (exitCode !== undefined) throw new Error(`redis-server exited with code ${exitCode} at start`);
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined); // refused until the server listens: expected, retried below
    try {
      await probe.connect();
      await probe.ping();
      return;
    } catch {
      await sleep(50);
    } finally {
      probe.disconnect();
    }
  }
  await exited.catch((error: Error) => {
    throw error;
  });
  throw new Error('redis-server did not answer within 5 s');
}
