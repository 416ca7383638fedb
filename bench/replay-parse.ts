/**
 * bench/replay-parse: generates a server log of the given size (default 500 MB) with InviteToChat
 * requests in both log styles, replies, faults and noise, then streams it through the replay
 * extractor and prints MB/s and peak RSS, against a baseline measured in the same run: reading the
 * same file line by line and doing nothing else.
 *
 *   npm run bench:replay -- [--mb 500] [--keep]
 */
import { createReadStream, createWriteStream, rmSync, statSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { extractRequestBatches } from '../src/replay/extract-requests.js';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '500' }, keep: { type: 'boolean', default: false } } });
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
  return statSync(path).size;
}

async function timed(run: () => Promise<number>): Promise<{ seconds: number; count: number; peakRssMb: number }> {
  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
  const started = performance.now();
  const count = await run();
  const seconds = (performance.now() - started) / 1_000;
  clearInterval(sampler);
  return { seconds, count, peakRssMb: Math.max(peak, process.memoryUsage.rss()) / 1024 / 1024 };
}

const directory = mkdtempSync(join(tmpdir(), 'ig-replay-bench-'));
const path = join(directory, 'server.log');
try {
  const bytes = await generate(path);
  const mb = bytes / 1024 / 1024;
  const baseline = await timed(async () => {
    let lines = 0;
    for await (const _line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) lines++;
    return lines;
  });
  const replay = await timed(async () => {
    let requests = 0;
    for await (const batch of extractRequestBatches(path)) for (const item of batch) if (item.kind === 'request') requests++;
    return requests;
  });
  console.log(`log of ${mb.toFixed(0)} MB`);
  console.log(`${'reader'.padEnd(34)} ${'MB/s'.padStart(7)} ${'peak RSS MB'.padStart(12)} ${'items'.padStart(10)}`);
  console.log(`${'line-by-line read (baseline)'.padEnd(34)} ${(mb / baseline.seconds).toFixed(0).padStart(7)} ${baseline.peakRssMb.toFixed(0).padStart(12)} ${String(baseline.count).padStart(10)}`);
  console.log(`${'replay extraction + pairing'.padEnd(34)} ${(mb / replay.seconds).toFixed(0).padStart(7)} ${replay.peakRssMb.toFixed(0).padStart(12)} ${String(replay.count).padStart(10)}`);
  console.log('goal: 100 MB/s or more, peak memory under 200 MB whatever the size');
} finally {
  if (!values.keep) rmSync(directory, { recursive: true, force: true });
}
