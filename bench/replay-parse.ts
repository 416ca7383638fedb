/**
 * bench/replay-parse: generates a server log of the given size (default 500 MB) with InviteToChat
 * requests in both log styles, replies, faults and noise, then times what `invite-gateway replay`
 * does before its first request is sent (the "reading logs" bar: extraction, pairing, filters,
 * counting; `WorkList.collect`) and prints MB/s and peak RSS, against a baseline measured in the
 * same run: reading the same file line by line and doing nothing else.
 *
 * Each measurement runs in its own process, alternating baseline and reader for `--rounds` rounds;
 * the median of each is reported, and the median of the per-round ratio, which the load of a
 * shared machine drifting between rounds does not skew.
 *
 *   npm run bench:replay -- [--mb 500] [--rounds 3] [--keep]
 */
import { closeSync, createReadStream, createWriteStream, fsyncSync, mkdtempSync, openSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { measureInFreshProcess, withPeakRss } from './fresh-process.js';
import type { Progress } from '../src/cli-support/progress.js';
import { parseReplayArgs } from '../src/replay/replay-options.js';
import { ReportWriter } from '../src/replay/report-writer.js';
import { WorkList } from '../src/replay/work-list.js';

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '3' },
    keep: { type: 'boolean', default: false },
    // Internal: one measurement in this (fresh) process, printed as JSON.
    measure: { type: 'string' },
    file: { type: 'string' },
  },
});
const targetBytes = Number(values.mb) * 1024 * 1024;

function tabRequest(i: number): string {
  return [
    `12:00:${String(i % 60).padStart(2, '0')}.123 Trc 04541 Message Request3rdServer sent to 'DMS_0${i % 3}'`,
    `\tAttributeReferenceID\t${i % 5000}`,
    '\tAttributeRequest\t[212] 00 05 00 00..',
    "\t\t'AppName'\t'IVR_Main'",
    "\t\t'Service'\t'ChatService'",
    "\t\t'Method'\t'InviteToChat'",
    `\t\t'Parameters'(list)\t'_umsChannel'\t'whatsapp-main'`,
    `\t\t\t'_umsClientId'\t'+1555${String(1_000_000 + (i % 9_000_000))}'`,
    "\t\t\t'_umsBusinessId'\t'+15550001111'",
    "\t\t\t'StandardResponseId'\t'order_ready'",
    `\t\t\t'Contact'(list)\t'FirstName'\t'Ana'`,
    "\t\t\t\t'LastName'\t'Silva'",
    '\tAttributeUserData\t[61] 00 02 00 00..',
    "\t\t'GCTI_Chat_SubmitAsOutbound'\t'true'",
    `12:00:${String(i % 60).padStart(2, '0')}.150 Trc 04542 Message Event3rdServerResponse received from 'DMS_0${i % 3}'`,
    `\tAttributeReferenceID\t${i % 5000}`,
    '\tAttributeRequest\t[40] 00 01 00 00..',
    `\t\t'_umsChatSessionId'\t'0000GaBNKN2Q${String(i % 10_000).padStart(4, '0')}'`,
    '12:00:01.160 Int 04545 Interaction message "EventAck" sent to 5 (URS)',
    '',
  ].join('\n');
}

function typedRequest(i: number): string {
  return [
    `12:00:01.123 Sending to 'DMS_0${i % 3}': 'Request3rdServer' (`,
    `\tattr_ref_id [int] = ${i % 5000}`,
    "\t'Request' [list] =",
    "\t\t'AppType' [int] = 171",
    "\t\t'Service' [str] = \"ChatService\"",
    "\t\t'Method' [str] = \"InviteToChat\"",
    "\t\t'Parameters' [list] =",
    `\t\t\t'_umsClientId' [str] = "+1555${String(1_000_000 + (i % 9_000_000))}"`,
    "\t\t\t'_umsBusinessId' [str] = \"+15550001111\"",
    ')',
    `12:00:01.170 Trc 04542 Message Event3rdServerFault received from 'DMS_0${i % 3}'`,
    `\tAttributeReferenceID\t${i % 5000}`,
    '\tAttributeRequest\t[40] 00 01 00 00..',
    "\t\t'FaultCode'\t1020",
    "\t\t'FaultString'\t'StandardResponseId \"x\" is not a known standard response'",
    '',
  ].join('\n');
}

async function generate(path: string): Promise<number> {
  const out = createWriteStream(path);
  let written = 0;
  for (let i = 0; written < targetBytes; i++) {
    const chunk = i % 4 === 3 ? typedRequest(i) : tabRequest(i);
    written += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  // Flushed to disk before anything is timed: otherwise the kernel writes the fresh file back while
  // the readers run, and the disk's write-back shows up in their figures.
  const file = openSync(path, 'r');
  fsyncSync(file);
  closeSync(file);
  return statSync(path).size;
}

interface Measurement {
  seconds: number;
  count: number;
  peakRssMb: number;
}

function timed(run: () => Promise<number>): Promise<Measurement> {
  return withPeakRss(async () => {
    const started = performance.now();
    const count = await run();
    return { seconds: (performance.now() - started) / 1_000, count };
  });
}

type Reader = 'baseline' | 'reader';

const READERS: Record<Reader, (path: string) => Promise<number>> = {
  async baseline(path) {
    let lines = 0;
    for await (const _line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) lines++;
    return lines;
  },
  async reader(path) {
    const report = await ReportWriter.create();
    const noProgress: Progress = { start() {}, increment() {}, update() {}, stop() {} };
    const work = await WorkList.collect([{ path }], parseReplayArgs([path, '--api-key', 'unused'], {}), report, noProgress);
    await report.finish(undefined, { target: '', mode: 'dryRun', redacted: true, files: [path], startedAt: '' });
    return work.count;
  },
};

/**
 * Each measurement runs in a process of its own, as `invite-gateway replay` does: a reader timed
 * in the process that just generated 500 MB of text inherits its heap and ran a third slower.
 */
function measureInChild(reader: Reader, path: string): Promise<Measurement> {
  return measureInFreshProcess(import.meta.url, ['--measure', reader, '--file', path], reader);
}

const median = (numbers: number[]) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)]!;

if (values.measure) {
  console.log(JSON.stringify(await timed(() => READERS[values.measure as Reader](values.file!))));
  process.exit(0);
}

const directory = mkdtempSync(join(tmpdir(), 'ig-replay-bench-'));
const path = join(directory, 'server.log');
try {
  const bytes = await generate(path);
  const mb = bytes / 1024 / 1024;
  const rounds = Number(values.rounds);
  const runs: Record<Reader, Measurement[]> = { baseline: [], reader: [] };
  // Alternated, so a slow moment of the machine does not fall on one reader only.
  for (let round = 0; round < rounds; round++) for (const reader of ['baseline', 'reader'] as const) runs[reader].push(await measureInChild(reader, path));
  console.log(`log of ${mb.toFixed(0)} MB, ${rounds} rounds, each measurement in a fresh process`);
  console.log(`${'reader'.padEnd(34)} ${'MB/s median'.padStart(12)} ${'rounds'.padStart(16)} ${'peak RSS MB'.padStart(12)} ${'items'.padStart(10)}`);
  for (const [reader, label] of [['baseline', 'line-by-line read (baseline)'], ['reader', "replay's reading of the logs"]] as const) {
    const speeds = runs[reader].map((run) => mb / run.seconds);
    const peak = Math.max(...runs[reader].map((run) => run.peakRssMb));
    console.log(`${label.padEnd(34)} ${median(speeds).toFixed(0).padStart(12)} ${speeds.map((speed) => speed.toFixed(0)).join(', ').padStart(16)} ${peak.toFixed(0).padStart(12)} ${String(runs[reader][0]!.count).padStart(10)}`);
  }
  const ratios = runs.reader.map((run, round) => runs.baseline[round]!.seconds / run.seconds);
  console.log(`reader speed / baseline speed, per round: ${ratios.map((ratio) => ratio.toFixed(2)).join(', ')} (median ${median(ratios).toFixed(2)})`);
  console.log('goal: 100 MB/s or more, peak memory under 200 MB whatever the size');
} finally {
  if (!values.keep) rmSync(directory, { recursive: true, force: true });
}
