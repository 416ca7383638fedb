import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const PROJECT_DIR = fileURLToPath(new URL('../..', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/invite-gateway.js', import.meta.url));

/** A started gateway process, as `npm start` (or the bin) runs it. */
export interface StartedProcess {
  child: ChildProcess;
  /** stdout and stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit status once the process ended. */
  exited: Promise<number | null>;
  /** Resolves once `pattern` shows in stdout or stderr; rejects if the process exits first. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
  /** SIGTERM (SIGKILL after 10 s) and waits for the exit. */
  stop(): Promise<void>;
}

/**
 * Spawns `node --import tsx src/main.ts` (what `npm start` runs) in the project directory, or
 * with `{ bin: true }` the package bin (`invite-gateway`), which also runs from any `cwd`.
 */
export function startProcess(env: NodeJS.ProcessEnv, options: { bin?: boolean; cwd?: string } = {}): StartedProcess {
  const args = options.bin ? [BIN] : ['--import', 'tsx', 'src/main.ts'];
  const child = spawn(process.execPath, args, { cwd: options.cwd ?? PROJECT_DIR, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  const changed = () => listeners.forEach((listener) => listener());
  child.stdout!.on('data', (chunk: Buffer) => ((stdout += chunk.toString()), changed()));
  child.stderr!.on('data', (chunk: Buffer) => ((stderr += chunk.toString()), changed()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitFor(pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(stdout) ?? pattern.exec(stderr);
          if (!match) return;
          listeners.delete(check);
          resolve(match);
        };
        listeners.add(check);
        check();
        void exited.then((code) => reject(new Error(`exited with ${code} before ${pattern}:\n${stdout}\n${stderr}`)));
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A loopback port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
