import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Baseline } from '../../src/replay/baseline.js';
import type { Answer } from '../../src/replay/classify.js';
import type { ReportItem } from '../../src/replay/report.js';
import { ReportWriter } from '../../src/replay/report-writer.js';
import { scratchDirectory } from '../support/scratch.js';

const reports = scratchDirectory('baseline');
let reportCount = 0;
const opened: Baseline[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((baseline) => baseline.close()));
});

const rendered = (orderId: string) => JSON.stringify({ messaging_product: 'whatsapp', type: 'template', template: { name: 'order_ready', components: [{ type: 'body', parameters: [{ type: 'text', text: `Order ${orderId} — prête ✓` }] }] } });
const answered = (file: string, line: number, referenceId: number | null, now: Answer | null): ReportItem => ({ file, line, peer: 'DMS_01', referenceId, class: now ? 'same' : 'unparsed', logged: null, now, ...(now ? {} : { problem: 'cut off' }) });

/** A report as `invite-gateway replay --report` writes it. */
async function writeReport(items: ReportItem[], redacted = true): Promise<string> {
  const writer = await ReportWriter.create();
  for (const item of items) await writer.add(item);
  const path = join(reports, `${++reportCount}.json`);
  await writer.finish(path, { target: 'http://127.0.0.1:8080', mode: 'dryRun', redacted, files: [], startedAt: '' });
  return path;
}

async function load(path: string): Promise<Baseline> {
  const baseline = await Baseline.load(path);
  opened.push(baseline);
  return baseline;
}

describe('a previous report as the baseline', () => {
  const items = [
    answered('/logs/a/urs.log', 2, 7, { result: 'success', rendered: rendered('A-1') }),
    answered('/logs/b/urs.log', 2, 7, { result: 'success', rendered: rendered('B-1') }),
    answered('/logs/a/urs.log', 12, 7, { result: 'fault', FaultCode: 1020, FaultString: 'StandardResponseId "x" is not a known standard response' }),
    answered('/logs/a/urs.log', 40, null, { result: 'success', rendered: null }),
    answered('/logs/a/urs.log', 47, null, null),
  ];

  it("gives each request its answer: by file, line and ReferenceId, else by the file's name when the logs moved", async () => {
    const baseline = await load(await writeReport(items));
    expect(baseline.redacted).toBe(true);
    expect(await baseline.answerFor('/logs/a/urs.log', 2, 7)).toEqual({ result: 'success', rendered: rendered('A-1') });
    expect(await baseline.answerFor('/logs/b/urs.log', 2, 7)).toEqual({ result: 'success', rendered: rendered('B-1') });
    expect(await baseline.answerFor('/logs/a/urs.log', 12, 7)).toMatchObject({ result: 'fault', FaultCode: 1020 });
    expect(await baseline.answerFor('/logs/a/urs.log', 40, null)).toEqual({ result: 'success', rendered: null });
    // The logs copied elsewhere: found by name, line and ReferenceId.
    expect(await baseline.answerFor('/home/qa/copy/urs.log', 12, 7)).toMatchObject({ result: 'fault', FaultCode: 1020 });
    // Another line, another ReferenceId, another name, or a block that was not parsed: nothing.
    expect(await baseline.answerFor('/logs/a/urs.log', 3, 7)).toBeUndefined();
    expect(await baseline.answerFor('/logs/a/urs.log', 2, 8)).toBeUndefined();
    expect(await baseline.answerFor('/logs/a/other.log', 2, 7)).toBeUndefined();
    expect(await baseline.answerFor('/logs/a/urs.log', 47, null)).toBeUndefined();
  });

  it('tells apart two requests whose keys hash alike', async () => {
    // urs.log lines 698098 and 870216 with ReferenceId 7 share a hash in the index: each must get its own answer.
    const baseline = await load(await writeReport([answered('/logs/a/urs.log', 698098, 7, { result: 'success', rendered: rendered('first') }), answered('/logs/a/urs.log', 870216, 7, { result: 'fault', FaultCode: 1010 })]));
    expect(await baseline.answerFor('/logs/a/urs.log', 698098, 7)).toEqual({ result: 'success', rendered: rendered('first') });
    expect(await baseline.answerFor('/logs/a/urs.log', 870216, 7)).toEqual({ result: 'fault', FaultCode: 1010 });
  });

  it('reads a report whose lines were turned into CRLF', async () => {
    const path = await writeReport(items, false);
    writeFileSync(path, readFileSync(path, 'utf8').replace(/\n/g, '\r\n'));
    const baseline = await load(path);
    expect(baseline.redacted).toBe(false);
    expect(await baseline.answerFor('/logs/b/urs.log', 2, 7)).toEqual({ result: 'success', rendered: rendered('B-1') });
  });

  it('refuses what is not a replay report, naming the file and the line', async () => {
    const notAReport = join(reports, 'package.json');
    writeFileSync(notAReport, '{\n  "name": "x"\n}\n');
    await expect(Baseline.load(notAReport)).rejects.toThrow(`--baseline ${notAReport} is not a replay report (it does not start with its summary)`);

    const noItems = join(reports, 'summary-only.json');
    writeFileSync(noItems, '{"summary":{"requests":0},\n"run":{"redacted":true},\n"notes":[]}\n');
    await expect(Baseline.load(noItems)).rejects.toThrow(`--baseline ${noItems} is not a replay report (it has no "items")`);

    const broken = await writeReport(items);
    const lines = readFileSync(broken, 'utf8').split('\n');
    lines[4] = lines[4]!.slice(0, 30);
    writeFileSync(broken, lines.join('\n'));
    await expect(Baseline.load(broken)).rejects.toThrow(new RegExp(`^--baseline ${broken} line 5: `));

    const notItems = join(reports, 'not-items.json');
    writeFileSync(notItems, '{"summary":{"requests":1},\n"run":{"redacted":true},\n"items":[\n{"name":"x"}\n]}\n');
    await expect(Baseline.load(notItems)).rejects.toThrow(`--baseline ${notItems} line 4: not a report item (no file and line)`);

    // A report put on one line (jq -c, say) is refused before it is held whole.
    const oneLine = join(reports, 'one-line.json');
    writeFileSync(oneLine, `{"summary":{},"run":{},"items":[${'{"file":"urs.log","line":1,"referenceId":7,"now":{"result":"success"}},'.repeat(300_000)}{}]}`);
    await expect(Baseline.load(oneLine)).rejects.toThrow(`--baseline ${oneLine}: a line longer than 16 MB; a replay report has one item per line`);

    await expect(Baseline.load(join(reports, 'missing.json'))).rejects.toThrow(/^--baseline .*missing\.json: ENOENT/);
  });
});
