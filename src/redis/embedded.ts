import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

/** A `redis-server` the gateway started itself because `REDIS_URL` is unset (demo and development). */
export interface EmbeddedRedis {
  url: string;
  /** Where its append-only file lives. */
  dataDir: string;
  stop(): Promise<void>;
}

/** Where the embedded Redis of each gateway port keeps its data, relative to the working directory. */
export const EMBEDDED_DATA_ROOT = '.redis-embedded';

/**
 * The data directory of the gateway on `gatewayPort`: `.redis-embedded/port-<port>/`, so invites
 * accepted before a restart of the demo are not lost, while a second gateway on another port of
 * the same checkout gets data of its own. `PORT=0` (a port picked at random) has no identity to
 * restart into: undefined, a temporary directory.
 */
export function embeddedDataDir(gatewayPort: number, root = EMBEDDED_DATA_ROOT): string | undefined {
  return gatewayPort === 0 ? undefined : resolve(root, `port-${gatewayPort}`);
}

/**
 * Starts `redis-server` on a free loopback port, writing its append-only file in `dataDir`, which a
 * lock file keeps to this process (a second gateway on it is refused); without `dataDir`, in a
 * temporary directory removed at stop. Production sets `REDIS_URL`.
 */
export async function startEmbeddedRedis(dataDir?: string): Promise<EmbeddedRedis> {
  const data = dataDir === undefined ? temporaryDataDir() : lockedDataDir(resolve(dataDir));
  try {
    const port = await freePort();
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--dir', data.dir, '--appendfilename', 'gateway.aof'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const exited = waitForExit(child);
    const url = `redis://127.0.0.1:${port}`;
    await waitUntilAnswering(url, exited).catch(async (error: unknown) => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited.catch(() => undefined);
      throw error;
    });
    return {
      url,
      dataDir: data.dir,
      async stop() {
        if (child.exitCode === null) child.kill('SIGTERM');
        await exited.catch(() => undefined);
        data.release();
      },
    };
  } catch (error) {
    data.release();
    throw error;
  }
}

interface DataDir {
  dir: string;
  release(): void;
}

function temporaryDataDir(): DataDir {
  const dir = mkdtempSync(join(tmpdir(), 'invite-gateway-redis-'));
  return { dir, release: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The directory, with a `gateway.lock` file holding this process's id. A lock whose process is gone
 * (a crash, SIGKILL) is taken over; one whose process lives refuses the start: two redis-servers
 * on one append-only file would each load the other's keys and corrupt the file.
 */
function lockedDataDir(dir: string): DataDir {
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, 'gateway.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      return { dir, release: () => rmSync(lock, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(lock, 'utf8').trim());
      if (isRunning(holder)) {
        throw new Error(
          `the embedded Redis data in ${dir} is in use by another invite-gateway (pid ${holder}): stop it, start this one with another PORT, or set REDIS_URL`,
        );
      }
      rmSync(lock, { force: true }); // left by a gateway that did not stop cleanly
    }
  }
  throw new Error(`cannot take the lock ${lock}: another gateway is starting on the same data`);
}

function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A loopback TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
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
