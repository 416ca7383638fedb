import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Progress } from '../../src/cli-support/progress.js';
import { parseReplayArgs } from '../../src/replay/replay-options.js';
import { ReportWriter } from '../../src/replay/report-writer.js';
import { WorkList, type WorkItem } from '../../src/replay/work-list.js';
import { scratchDirectory } from '../support/scratch.js';

const request = (time: string, ref: number, clientId: string) => [
  `${time} Trc 04541 Message Request3rdServer sent to 'DMS_01'`,
  `\tAttributeReferenceID\t${ref}`,
  '\tAttributeRequest\t[212] 00 05 00 00..',
  "\t\t'Service'\t'ChatService'",
  "\t\t'Method'\t'InviteToChat'",
  `\t\t'Parameters'(list)\t'_umsClientId'\t'${clientId}'`,
];
const response = (time: string, ref: number) => [`${time} Trc 04542 Message Event3rdServerResponse received from 'DMS_01'`, `\tAttributeReferenceID\t${ref}`, '\tAttributeRequest\t[40] 00 01 00 00..', "\t\t'_umsChatSessionId'\t'0000GaBNKN2Q0021'"];
const logText = (...blocks: string[][]) => blocks.flat().join('\n') + '\n';

const logs = scratchDirectory('work-list');
let logCount = 0;
const reports: ReportWriter[] = [];
afterEach(async () => {
  // Removes each report's scratch files.
  await Promise.all(reports.splice(0).map((report) => report.finish(undefined, { target: '', mode: 'dryRun', redacted: true, files: [], startedAt: '' })));
});

const NO_PROGRESS: Progress = { start() {}, increment() {}, update() {}, stop() {} };

async function collect(path: string): Promise<{ work: WorkList; report: ReportWriter }> {
  const report = await ReportWriter.create();
  reports.push(report);
  const work = await WorkList.collect([{ path }], parseReplayArgs([path, '--api-key', 'unused'], {}), report, NO_PROGRESS);
  return { work, report };
}

async function itemsOf(work: WorkList): Promise<WorkItem[]> {
  const items: WorkItem[] = [];
  for await (const item of work.items()) items.push(item);
  return items;
}

describe('the requests to replay, read once to count and again to replay', () => {
  it('replays what was counted, with the logged reply, and leaves out what a server appended in between', async () => {
    const path = join(logs, `${++logCount}.log`);
    writeFileSync(path, logText(request('12:00:01.000', 1, '+15551230001'), response('12:00:01.100', 1), request('12:00:02.000', 2, '+15551230002')));
    const { work, report } = await collect(path);
    expect(work.count).toBe(2);
    expect(report.summary.skippedLines).toBe(0);

    // The server goes on logging: the reply to the second request, then a third request.
    appendFileSync(path, logText(response('12:00:02.100', 2), request('12:00:03.000', 3, '+15551230003')));
    const items = await itemsOf(work);
    expect(items.map((item) => [item.line, item.referenceId, item.logged])).toEqual([
      [1, 1, { result: 'success', line: 7 }],
      // Its reply came after the first reading: it is replayed as counted, without one.
      [11, 2, null],
    ]);
  });

  it.each([
    ['replaced (rotated)', (path: string) => {
      writeFileSync(`${path}.new`, logText(request('13:00:00.000', 9, '+15551230009')));
      renameSync(`${path}.new`, path);
    }],
    ['cut shorter', (path: string) => writeFileSync(path, logText(request('13:00:00.000', 9, '+15551230009')))],
  ])('refuses a log %s after it was read, naming it', async (_case, change) => {
    const path = join(logs, `${++logCount}.log`);
    writeFileSync(path, logText(request('12:00:01.000', 1, '+15551230001'), response('12:00:01.100', 1), request('12:00:02.000', 2, '+15551230002')));
    const { work } = await collect(path);
    change(path);
    await expect(itemsOf(work)).rejects.toThrow(`${path} was ${_case.startsWith('replaced') ? 'replaced or removed' : 'rewritten'} after it was read: run the replay again`);
  });
});
