import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/**
 * Runs a bench script again in a fresh process with `args` (its internal `--measure` mode) and
 * returns the JSON it prints: each figure is taken as a user's run would be, with no heap inherited
 * from generating the data or from the measurement before.
 */
export async function measureInFreshProcess<T>(scriptUrl: string, args: string[], what: string): Promise<T> {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(scriptUrl), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number];
  if (code !== 0) throw new Error(`the ${what} measurement exited with ${code}`);
  return JSON.parse(output) as T;
}

/** Runs `measure` while sampling this process's resident memory every `sampleMs`; adds the peak, in MB. */
export async function withPeakRss<T extends object>(measure: () => Promise<T>, sampleMs = 50): Promise<T & { peakRssMb: number }> {
  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), sampleMs);
  try {
    const result = await measure();
    return { ...result, peakRssMb: Math.max(peak, process.memoryUsage.rss()) / 1024 / 1024 };
  } finally {
    clearInterval(sampler);
  }
}
