/**
 * bench/replay-baseline: writes replay reports of the given sizes (dry-run items with renders, as
 * `invite-gateway replay --report` writes them) and loads each as a `--baseline`, timing the load
 * and 100,000 lookups and sampling peak RSS. The baseline, in the same run: the whole report read
 * and parsed at once, its answers kept in a map (what `--baseline` did before).
 *
 * Each measurement runs in a fresh process.
 *
 *   npm run bench:baseline -- [--items 200000,1000000] [--keep]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Baseline } from '../src/replay/baseline.js';
import type { Answer } from '../src/replay/classify.js';
import type { ReportItem } from '../src/replay/report.js';
import { ReportWriter } from '../src/replay/report-writer.js';
import { measureInFreshProcess, withPeakRss } from './fresh-process.js';

const { values } = parseArgs({
  options: {
    items: { type: 'string', default: '200000,1000000' },
    keep: { type: 'boolean', default: false },
    // Internal: one measurement in this (fresh) process, printed as JSON.
    measure: { type: 'string' },
    file: { type: 'string' },
    count: { type: 'string' },
  },
});

const LOG = '/var/log/genesys/urs-0800.log';
const lineOf = (i: number) => i * 20 + 1;
const referenceIdOf = (i: number) => i % 5000;

function item(i: number): ReportItem {
  const rendered = JSON.stringify({
    messaging_product: 'whatsapp',
    to: '+1555*******',
    type: 'template',
    template: { name: 'order_ready', language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text: `A****, your order A-${i} is ready at Main St. Track it at https://example.com/t/${i}` }] }] },
  });
  return {
    file: LOG,
    line: lineOf(i),
    peer: 'DMS_01',
    referenceId: referenceIdOf(i),
    class: 'same',
    logged: { result: 'success', line: lineOf(i) + 14 },
    now: { result: 'success', rendered },
    invite: { channel: 'whatsapp-main', businessId: '+15550001111', standardResponseId: 'order_ready', clientId: '+1555*******' },
  };
}

async function writeReport(path: string, count: number): Promise<void> {
  const writer = await ReportWriter.create();
  for (let i = 0; i < count; i++) await writer.add(item(i));
  await writer.finish(path, { target: 'http://127.0.0.1:8080', mode: 'dryRun', redacted: true, files: [LOG], startedAt: new Date().toISOString() });
}

type Loader = 'wholeFile' | 'index';
interface Measurement {
  loadSeconds: number;
  lookupsPerSecond: number;
  peakRssMb: number;
  error?: string;
}

const LOOKUPS = 100_000;

/** Loads the report, then asks for LOOKUPS answers spread over it; each must be found. */
const LOADERS: Record<Loader, (path: string, count: number) => Promise<Omit<Measurement, 'peakRssMb'>>> = {
  async wholeFile(path, count) {
    const started = performance.now();
    const report = JSON.parse(await readFile(path, 'utf8')) as { items: ReportItem[] };
    const answers = new Map<string, Answer>();
    for (const entry of report.items) if (entry.now) answers.set(`${entry.file}\n${entry.line}\n${entry.referenceId}`, entry.now);
    const loaded = performance.now();
    for (let k = 0; k < LOOKUPS; k++) {
      const i = (k * 7919) % count;
      if (!answers.get(`${LOG}\n${lineOf(i)}\n${referenceIdOf(i)}`)) throw new Error(`item ${i} not found`);
    }
    return { loadSeconds: (loaded - started) / 1000, lookupsPerSecond: LOOKUPS / ((performance.now() - loaded) / 1000) };
  },
  async index(path, count) {
    const started = performance.now();
    const baseline = await Baseline.load(path);
    const loaded = performance.now();
    for (let k = 0; k < LOOKUPS; k++) {
      const i = (k * 7919) % count;
      if (!(await baseline.answerFor(LOG, lineOf(i), referenceIdOf(i)))) throw new Error(`item ${i} not found`);
    }
    const done = performance.now();
    await baseline.close();
    return { loadSeconds: (loaded - started) / 1000, lookupsPerSecond: LOOKUPS / ((done - loaded) / 1000) };
  },
};

function measureInChild(loader: Loader, path: string, count: number): Promise<Measurement> {
  return measureInFreshProcess(import.meta.url, ['--measure', loader, '--file', path, '--count', String(count)], loader);
}

if (values.measure) {
  const measured = await withPeakRss(async (): Promise<Omit<Measurement, 'peakRssMb'>> => {
    try {
      return await LOADERS[values.measure as Loader](values.file!, Number(values.count));
    } catch (error) {
      // The whole-file load fails past about 850,000 items: the report no longer fits in one string.
      return { loadSeconds: NaN, lookupsPerSecond: NaN, error: (error as Error).message };
    }
  }, 20);
  console.log(JSON.stringify(measured));
  process.exit(0);
}

const directory = mkdtempSync(join(tmpdir(), 'ig-baseline-bench-'));
try {
  console.log(`${'items'.padStart(9)} ${'report MB'.padStart(10)} ${'loader'.padEnd(24)} ${'load s'.padStart(7)} ${'lookups/s'.padStart(10)} ${'peak RSS MB'.padStart(12)}`);
  for (const count of values.items.split(',').map(Number)) {
    const path = join(directory, `report-${count}.json`);
    await writeReport(path, count);
    const megabytes = statSync(path).size / 1024 / 1024;
    for (const [loader, label] of [['wholeFile', 'whole file (baseline)'], ['index', 'line index']] as const) {
      const run = await measureInChild(loader, path, count);
      const figures = run.error ? `failed: ${run.error.slice(0, 60)}` : `${run.loadSeconds.toFixed(1).padStart(7)} ${run.lookupsPerSecond.toFixed(0).padStart(10)}`;
      console.log(`${String(count).padStart(9)} ${megabytes.toFixed(0).padStart(10)} ${label.padEnd(24)} ${figures} ${run.peakRssMb.toFixed(0).padStart(12)}`);
    }
  }
} finally {
  if (!values.keep) rmSync(directory, { recursive: true, force: true });
}
