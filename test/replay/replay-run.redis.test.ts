import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { replayCommand } from '../../src/cli/replay-command.js';
import { parseReplayArgs } from '../../src/replay/replay-options.js';
import { createProgress, type Progress } from '../../src/cli-support/progress.js';
import { PassThrough } from 'node:stream';
import type { ReplaySummary, ReportItem } from '../../src/replay/report.js';
import { runReplay, type ReplayUi } from '../../src/replay/run-replay.js';
import { listKeys } from '../support/redis.js';
import { eventually, SAMPLE_TEMPLATES_DIR, startTestGateway, TENANT1_KEY, type TestGateway } from '../support/gateway.js';
import { runBin, spawnBin } from '../support/bin.js';
import { scratchDirectory } from '../support/scratch.js';
import { tabRequest, tabResponse } from '../support/tab-log.js';

const response = (time: string, peer: string, ref: number) => tabResponse(time, peer, ref);

const faultReply = (time: string, peer: string, ref: number, code: number, text: string) => [
  `${time} Trc 04542 Message Event3rdServerFault received from '${peer}'`,
  `\tAttributeReferenceID\t${ref}`,
  '\tAttributeRequest\t[40] 00 01 00 00..',
  `\t\t'FaultCode'\t${code}`,
  `\t\t'FaultString'\t'${text}'`,
];

const ORDER_READY = [
  "'_umsChannel'\t'whatsapp-main'",
  "'_umsClientId'\t'+15557770001'",
  "'_umsBusinessId'\t'+15550001111'",
  "'StandardResponseId'\t'order_ready'",
  "'CustomProperties'(list)\t'OrderId'\t'A-1001'",
  "\t'Track'\t'a1001'",
  "'Contact'(list)\t'FirstName'\t'Ana'",
  "\t'LastName'\t'Silva'",
];
const without = (key: string, lines = ORDER_READY) => lines.filter((line) => !line.startsWith(`'${key}'`));
const withTemplate = (id: string) => ORDER_READY.map((line) => (line.startsWith("'StandardResponseId'") ? `'StandardResponseId'\t'${id}'` : line));

/** A morning of a server log: two clients, a recycled ReferenceId, noise, a broken and a cut-off block. */
const LOG_LINES = [
  '12:00:00.001 Std 05060 Server started',
  ...tabRequest('12:00:01.000', 'DMS_01', 1, ORDER_READY), // same: logged success, success now
  "12:00:01.005 Sending to 'DMS_02': 'Request3rdServer' (", // interleaved client, same ReferenceId
  '\tattr_ref_id [int] = 1',
  "\t'Request' [list] =",
  "\t\t'AppName' [str] = \"Campaign\"",
  "\t\t'Service' [str] = \"ChatService\"",
  "\t\t'Method' [str] = \"InviteToChat\"",
  "\t\t'Parameters' [list] =",
  "\t\t\t'_umsChannel' [str] = \"whatsapp-main\"",
  "\t\t\t'_umsClientId' [str] = \"12ab\"",
  "\t\t\t'_umsBusinessId' [str] = \"+15550001111\"",
  ')',
  ...faultReply('12:00:01.020', 'DMS_02', 1, 1011, '_umsClientId is not a phone number'), // same: 1011 then and now
  ...response('12:00:01.050', 'DMS_01', 1),
  '12:00:01.100 Int 04545 Interaction message "EventAck" sent',
  ...tabRequest('12:00:02.000', 'DMS_01', 2, withTemplate('order_ready_v1')), // newly failing: template gone
  ...response('12:00:02.040', 'DMS_01', 2),
  ...tabRequest('12:00:03.000', 'DMS_01', 3, ORDER_READY), // newly passing: was 1010
  ...faultReply('12:00:03.010', 'DMS_01', 3, 1010, '_umsClientId is missing or empty'),
  ...tabRequest('12:00:04.000', 'DMS_01', 4, without('_umsBusinessId')), // changed fault: 1020 then, 1010 now
  ...faultReply('12:00:04.010', 'DMS_01', 4, 1020, 'StandardResponseId is unknown'),
  ...tabRequest('12:00:05.000', 'DMS_01', 5, [
    "'_umsChannel'\t'apple-main'",
    "'_umsClientId'\t'urn:mbid:AQAAY'",
    "'_umsBusinessId'\t'b7d1c0de-5a1e-4c3b-9f00-000000000abc'",
  ]), // same; left out by --channel whatsapp-main
  ...response('12:00:05.030', 'DMS_01', 5),
  "12:00:06.000 Trc 04541 Message Request3rdServer sent to 'DMS_01'", // broken: unparsed
  '\tAttributeReferenceID\t6',
  '\tAttributeRequest\t[212] 00 05 00 00..',
  "\t\t'Service'\tChatService",
  '{"ReferenceId":9,"Request":{"AppName":"QA","Service":"ChatService","Method":"InviteToChat","Parameters":{"_umsChannel":"whatsapp-main","_umsClientId":"+15551239999","_umsBusinessId":"+15550001111","StandardResponseId":"order_ready","CustomProperties":{"OrderId":"J-9","Track":"j9"}}},"UserData":{"StoreName":"Harbour"}}',
  "12:00:07.000 Sending to 'DMS_02': 'Request3rdServer' (", // cut off at the end: unparsed
  '\tattr_ref_id [int] = 10',
  "\t'Request' [list] =",
];
const LOG = LOG_LINES.join('\n');

/** 1-based line of the first log line containing `text` at or after line `from`. */
function lineOf(text: string, from = 1): number {
  const index = LOG_LINES.findIndex((line, i) => i + 1 >= from && line.includes(text));
  if (index < 0) throw new Error(`no line with ${text}`);
  return index + 1;
}

/** A stream that says it is a terminal, so the progress draws its bar; `text` is what it drew, escapes removed. */
function fakeTerminal(): { stream: NodeJS.WriteStream; text(): string } {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 160, rows: 40 });
  let written = '';
  stream.on('data', (chunk: Buffer) => (written += chunk.toString()));
  // eslint-disable-next-line no-control-regex
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => written.replace(/\u001b(\[[0-9;?]*[A-Za-z]|[78])/g, '') };
}

const silentUi: ReplayUi = {
  confirmLive: async () => false,
  progress: (): Progress => ({ start() {}, increment() {}, update() {}, stop() {} }),
};

describe('replaying logged InviteToChat requests against a gateway', () => {
  let gateway: TestGateway;
  let server: Server;
  let target: string;
  const directory = scratchDirectory('replay-run');
  let logFile: string;

  beforeAll(async () => {
    gateway = await startTestGateway({ label: 'replay' });
    server = gateway.app!.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    target = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    logFile = join(directory, 'logs', 'urs-0800.log');
    writeLogFile(logFile, LOG);
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await gateway.dispose();
  });

  const replay = (args: string[], ui = silentUi) => runReplay(parseReplayArgs([join(directory, 'logs'), '--target', target, '--api-key', TENANT1_KEY, ...args]), ui);
  const readReport = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as { summary: ReplaySummary; run: { redacted: boolean }; items: ReportItem[] };

  it('classifies every request of the log against its logged reply, and writes the report row by row, differences first', async () => {
    const reportPath = join(directory, 'reports', 'first.json');
    const outcome = await replay(['--report', reportPath]);

    expect(outcome.exitStatus).toBe(1);
    const report = readReport(reportPath);
    expect(report.summary).toEqual({
      requests: 9,
      same: 3,
      newlyFailing: 1,
      newlyPassing: 1,
      changedFault: 1,
      changedRendering: 0,
      unparsed: 2,
      unpaired: 1, // the JSON line: no logged reply, no baseline
      skippedLines: 2, // the start line and the EventAck line
      filtered: 0,
    } satisfies ReplaySummary);
    const rows = report.items.map((item) => [item.class, item.line, item.peer, item.referenceId, item.logged?.result ?? null, item.logged?.FaultCode ?? null, item.now?.result ?? null, item.now?.FaultCode ?? null]);
    const differences = rows.slice(0, 5);
    expect(differences).toEqual(
      expect.arrayContaining([
        ['newlyFailing', lineOf("sent to 'DMS_01'", lineOf('12:00:02.000')), 'DMS_01', 2, 'success', null, 'fault', 1020],
        ['newlyPassing', lineOf('12:00:03.000'), 'DMS_01', 3, 'fault', 1010, 'success', null],
        ['changedFault', lineOf('12:00:04.000'), 'DMS_01', 4, 'fault', 1020, 'fault', 1010],
        ['unparsed', lineOf('12:00:06.000'), 'DMS_01', 6, null, null, null, null],
        ['unparsed', lineOf('12:00:07.000'), 'DMS_02', null, null, null, null, null],
      ]),
    );
    expect(rows.slice(5)).toEqual(
      expect.arrayContaining([
        ['same', lineOf('12:00:01.000'), 'DMS_01', 1, 'success', null, 'success', null],
        ['same', lineOf("Sending to 'DMS_02'"), 'DMS_02', 1, 'fault', 1011, 'fault', 1011],
        ['same', lineOf('12:00:05.000'), 'DMS_01', 5, 'success', null, 'success', null],
        ['unpaired', lineOf('"ReferenceId":9'), null, 9, null, null, 'success', null],
      ]),
    );
    expect(rows).toHaveLength(9);
    // Each logged reply is named by its own line, so a reader can open the log there.
    const sameAsLogged = report.items.find((item) => item.referenceId === 1 && item.peer === 'DMS_01')!;
    expect(sameAsLogged.logged!.line).toBe(lineOf('Event3rdServerResponse', lineOf('12:00:01.050')));
    expect(report.items.find((item) => item.class === 'unparsed' && item.line === lineOf('12:00:07.000'))!.problem).toMatch(/cut off/);
    expect(readFileSync(join(directory, 'reports', 'first.html'), 'utf8')).toMatch(/newly failing[\s\S]*<h2>Unchanged or unpaired<\/h2>/);
  });

  it('masks phone numbers and names in the report unless --no-redact', async () => {
    const masked = join(directory, 'reports', 'masked.json');
    const plain = join(directory, 'reports', 'plain.json');
    await replay(['--report', masked]);
    await replay(['--report', plain, '--no-redact']);

    for (const file of [masked, masked.replace('.json', '.html')]) {
      const text = readFileSync(file, 'utf8');
      for (const personal of ['+15557770001', '15557770001', '+15551239999', 'Silva', '"Ana"']) expect(text).not.toContain(personal);
      expect(text).toContain('+*******0001');
      // The gateway's own words are not customer data: fault 1011's example number stays readable.
      expect(text).toContain('E.164 number such as +15551230001 (digits only');
    }
    const plainText = readFileSync(plain, 'utf8');
    expect(plainText).toContain('+15557770001');
    expect(plainText).toContain('\\"text\\":\\"Ana\\"');
    expect(readReport(masked).run.redacted).toBe(true);
  });

  it('holds renders against a --baseline report: a changed standard response shows as changed rendering', async () => {
    const baselinePath = join(directory, 'reports', 'baseline.json');
    await replay(['--report', baselinePath]);

    // The next build's order_ready template speaks British English.
    const templatesDir = join(directory, 'templates-next');
    cpSync(SAMPLE_TEMPLATES_DIR, templatesDir, { recursive: true });
    const orderReady = JSON.parse(readFileSync(join(templatesDir, 'order_ready.json'), 'utf8')) as { language: string };
    writeFileSync(join(templatesDir, 'order_ready.json'), JSON.stringify({ ...orderReady, language: 'en_GB' }));
    const next = await startTestGateway({ label: 'replay-next', templatesDir });
    const nextServer = next.app!.listen(0, '127.0.0.1');
    await new Promise((resolve) => nextServer.once('listening', resolve));
    try {
      const nextTarget = `http://127.0.0.1:${(nextServer.address() as AddressInfo).port}`;
      const reportPath = join(directory, 'reports', 'next.json');
      await runReplay(parseReplayArgs([logFile, '--target', nextTarget, '--api-key', TENANT1_KEY, '--baseline', baselinePath, '--report', reportPath]), silentUi);

      const report = readReport(reportPath);
      const changed = report.items.filter((item) => item.class === 'changedRendering').map((item) => item.referenceId);
      // DMS_01's ReferenceId 1 and the JSON line render order_ready; ReferenceId 3 is newly passing (that wins).
      expect(changed.sort()).toEqual([1, 9]);
      const item = report.items.find((i) => i.referenceId === 9)!;
      expect(item.baseline!.rendered).toContain('"en_US"');
      expect(item.now!.rendered).toContain('"en_GB"');
      expect(report.summary.changedRendering).toBe(2);
      expect(report.summary.same).toBe(2);
    } finally {
      await new Promise((resolve) => nextServer.close(resolve));
      await next.dispose();
    }
  });

  it('replays only the asked channel and time window, and counts what it left out', async () => {
    const byChannel = await replay(['--channel', 'apple-main']);
    expect(byChannel.summary).toMatchObject({ requests: 3, same: 1, unparsed: 2, filtered: 6 });

    const byWindow = await replay(['--since', '12:00:02', '--until', '12:00:04']);
    // ReferenceIds 2 and 3; the JSON line has no time, so it is outside any window, and so are the broken blocks' times.
    expect(byWindow.summary).toMatchObject({ requests: 2, newlyFailing: 1, newlyPassing: 1, unparsed: 0, filtered: 7 });
  });

  it('exits 0 when nothing changed, 1 on differences, 2 on usage and connection errors', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const cleanLog = join(directory, 'clean.log');
      writeLogFile(cleanLog, [...tabRequest('09:00:00.000', 'DMS_01', 1, ORDER_READY), ...response('09:00:00.010', 'DMS_01', 1)].join('\n'));
      expect(await replayCommand([cleanLog, '--target', target, '--api-key', TENANT1_KEY])).toBe(0);
      expect(await replayCommand([logFile, '--target', target, '--api-key', TENANT1_KEY])).toBe(1);

      expect(await replayCommand([logFile, '--target', target])).toBe(2); // no API key
      expect(await replayCommand([logFile, '--target', target, '--api-key', TENANT1_KEY, '--rate', 'fast'])).toBe(2);
      expect(await replayCommand([join(directory, 'missing.log'), '--target', target, '--api-key', TENANT1_KEY])).toBe(2);
      expect(await replayCommand([logFile, '--target', target, '--api-key', 'not-a-key'])).toBe(2);
      expect(await replayCommand([logFile, '--target', 'http://127.0.0.1:9', '--api-key', TENANT1_KEY])).toBe(2);
      expect(error.mock.calls.flat().join('\n')).toMatch(/--api-key is required[\s\S]*--rate must be a positive number[\s\S]*no such file[\s\S]*refused the API key[\s\S]*cannot reach/);
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  });

  it('never skips a request in silence: a line naming Request3rdServer in an unknown header layout is unparsed with file and line', async () => {
    const odd = join(directory, 'unknown-header.log');
    writeLogFile(odd, ['09:00:00.000 Std 05060 Server started', '09:00:00.100 Trc 09999 Request3rdServer queued for +15557770001', ...tabRequest('09:00:01.000', 'DMS_01', 1, ORDER_READY), ...response('09:00:01.010', 'DMS_01', 1)].join('\n'));
    const reportPath = join(directory, 'reports', 'unknown-header.json');
    const outcome = await runReplay(parseReplayArgs([odd, '--target', target, '--api-key', TENANT1_KEY, '--report', reportPath]), silentUi);
    expect(outcome.exitStatus).toBe(1);
    expect(outcome.summary).toMatchObject({ requests: 2, same: 1, unparsed: 1, skippedLines: 1 });
    const unparsed = readReport(reportPath).items.find((item) => item.class === 'unparsed')!;
    expect(unparsed).toMatchObject({ file: odd, line: 2 });
    expect(unparsed.problem).toMatch(/names Request3rdServer, but not in a message header layout/);
    expect(JSON.stringify(readReport(reportPath).items)).not.toContain('queued for');
  });

  it('exits 1 with a sentence saying how many files and lines it read when it finds no request; --allow-empty makes that 0', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const quiet = join(directory, 'quiet', 'quiet.log');
      writeLogFile(quiet, ['09:00:00.000 Std 05060 Server started', '09:00:00.100 Int 04545 Interaction message "EventAck" sent', '09:00:00.200 Std 05061 Server stopping'].join('\n'));
      expect(await replayCommand([quiet, '--target', target, '--api-key', TENANT1_KEY])).toBe(1);
      expect(error.mock.calls.flat().join('\n')).toMatch(/no InviteToChat request found in 1 file \(3 lines read\)/);
      expect(await replayCommand([quiet, '--target', target, '--api-key', TENANT1_KEY, '--allow-empty'])).toBe(0);
      const outcome = await runReplay(parseReplayArgs([quiet, '--target', target, '--api-key', TENANT1_KEY, '--allow-empty']), silentUi);
      expect(outcome.empty).toMatch(/^no InviteToChat request found in 1 file \(3 lines read\)$/);
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  });

  it('a request with no logged reply and no baseline is unpaired, with its answer now, and does not change the exit status', async () => {
    const alone = join(directory, 'unpaired.log');
    writeLogFile(alone, tabRequest('09:00:00.000', 'DMS_01', 1, ORDER_READY).join('\n'));
    const reportPath = join(directory, 'reports', 'unpaired.json');
    const outcome = await runReplay(parseReplayArgs([alone, '--target', target, '--api-key', TENANT1_KEY, '--report', reportPath]), silentUi);
    expect(outcome.exitStatus).toBe(0);
    expect(outcome.summary).toMatchObject({ requests: 1, same: 0, unpaired: 1 });
    expect(readReport(reportPath).items).toEqual([expect.objectContaining({ class: 'unpaired', logged: null, now: expect.objectContaining({ result: 'success' }) })]);
  });

  it('checks the target and the API key before reading: a filter that leaves no request still exits 2 on a wrong key or target', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const cleanLog = join(directory, 'clean-filtered.log');
      writeLogFile(cleanLog, [...tabRequest('09:00:00.000', 'DMS_01', 1, ORDER_READY), ...response('09:00:00.010', 'DMS_01', 1)].join('\n'));
      const nothingLeft = ['--channel', 'no-such-channel'];
      expect(await replayCommand([cleanLog, '--target', target, '--api-key', 'not-a-key', ...nothingLeft])).toBe(2);
      expect(await replayCommand([cleanLog, '--target', 'http://127.0.0.1:9', '--api-key', TENANT1_KEY, ...nothingLeft])).toBe(2);
      expect(error.mock.calls.flat().join('\n')).toMatch(/refused the API key[\s\S]*cannot reach/);
      expect(await replayCommand([cleanLog, '--target', target, '--api-key', TENANT1_KEY, ...nothingLeft])).toBe(0);
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  });

  it('shows the reading bar of a small log in a unit that fits, with an ETA, never "0/0 MB" or "ETA LLs"', async () => {
    const terminal = fakeTerminal();
    await replay([], { ...silentUi, progress: (label, unit, scale) => (label === 'reading logs' ? createProgress(label, unit, scale, terminal.stream) : silentUi.progress(label, unit, scale)) });
    const kilobytes = (Buffer.byteLength(LOG) / 1024).toFixed(1);
    const screen = terminal.text();
    expect(screen).toContain(`${kilobytes}/${kilobytes} KB`);
    expect(screen).toMatch(/ETA (…|\d+ s)/);
    expect(screen).not.toMatch(/\b0\/0 MB|LLs|NULL/);
  });

  it('runs as `invite-gateway replay` from the package bin, and asks for --yes when --live is not on a terminal', async () => {
    const usage = await runBin(['replay']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/name at least one log file[\s\S]*--baseline/);

    // The gateway runs in this process, so the child must run asynchronously.
    const live = await runBin(['replay', logFile, '--target', target, '--api-key', TENANT1_KEY, '--live']);
    expect(live.status).toBe(2);
    expect(live.stderr).toMatch(/pass --yes/);
  });

  it('sends nothing live without confirmation, and creates real sessions once confirmed', async () => {
    // Session hashes only: not their history, transcript or events.
    const sessionHashes = async () => (await listKeys(gateway.redis, `${gateway.prefix}:session`)).filter((key) => /:session:\w+$/.test(key));
    const before = await sessionHashes();
    await expect(replay(['--live'])).rejects.toThrow(/not confirmed/);
    expect(await listKeys(gateway.redis, `${gateway.prefix}:session`)).toEqual(before);

    const outcome = await replay(['--live', '--channel', 'whatsapp-main'], { ...silentUi, confirmLive: async () => true });
    // Live answers carry a session id and no render; outcomes compare with the log as in a dry run.
    expect(outcome.summary).toMatchObject({ same: 2, unpaired: 1, newlyFailing: 1, newlyPassing: 1, changedFault: 1 });
    expect((await sessionHashes()).length - before.length).toBe(3); // refs 1 (DMS_01), 3 and the JSON line
  });

  it('paces requests at --rate', async () => {
    const started = performance.now();
    await replay(['--rate', '20', '--concurrency', '1', '--channel', 'whatsapp-main']);
    // Six requests at 20/s: the last starts 250 ms after the first.
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('stops cleanly on Ctrl-C: the summary and reports of what was replayed, marked incomplete, no scratch folder left, exit 130', async () => {
    const manyLog = join(directory, 'many', 'urs-many.log');
    writeLogFile(manyLog, Array.from({ length: 100 }, (_, i) => [...tabRequest('10:00:00.000', 'DMS_01', i + 1, ORDER_READY), ...response('10:00:00.010', 'DMS_01', i + 1)].join('\n')).join('\n'));
    // The child's own temporary directory, to watch its scratch files come and go.
    const childTmp = join(directory, 'child-tmp');
    mkdirSync(childTmp);
    const reportPath = join(directory, 'reports', 'interrupted.json');
    const replaying = spawnBin(['replay', manyLog, '--target', target, '--api-key', TENANT1_KEY, '--rate', '5', '--report', reportPath], { ...process.env, TMPDIR: childTmp });
    const scratchFolders = () => readdirSync(childTmp).filter((name) => name.startsWith('invite-replay-'));
    // A first answer is in: the scratch file of unchanged requests holds an item.
    await eventually(async () => scratchFolders().some((name) => existsSync(join(childTmp, name, 'same.jsonl')) && statSync(join(childTmp, name, 'same.jsonl')).size > 0) || undefined, 20_000, 'a first answer');
    replaying.child.kill('SIGINT');
    const { status, stdout, stderr } = await replaying.exited;

    expect(status).toBe(130);
    const replayed = Number(/^requests\s+(\d+)$/m.exec(stdout)?.[1]);
    expect(replayed).toBeGreaterThanOrEqual(1);
    expect(replayed).toBeLessThan(100);
    expect(stdout).toContain(`stopped by Ctrl-C: incomplete, the figures below cover the ${replayed} requests replayed until then`);
    expect(stdout).toMatch(new RegExp(`^same\\s+${replayed}$`, 'm'));
    expect(stdout).toContain(`report: ${reportPath}`);
    const report = readReport(reportPath);
    expect(report.summary).toMatchObject({ incomplete: true, requests: replayed, same: replayed });
    expect(report.items).toHaveLength(replayed);
    expect(readFileSync(join(directory, 'reports', 'interrupted.html'), 'utf8')).toContain(`<strong>Incomplete:</strong> the replay was stopped (Ctrl-C) before its end; the figures and rows below cover only the ${replayed} requests`);
    expect(scratchFolders()).toEqual([]);
    expect(stderr).toContain('replay: stopping');
  });

  it('tolerates a report directory that does not exist yet, and refuses one that cannot be written before replaying', async () => {
    const nested = join(directory, 'a', 'b', 'r.json');
    await replay(['--report', nested]);
    expect(existsSync(nested)).toBe(true);
    writeFileSync(join(directory, 'file-not-dir'), '');
    await expect(replay(['--report', join(directory, 'file-not-dir', 'r.json')])).rejects.toThrow(/--report/);
  });
});

function writeLogFile(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}
