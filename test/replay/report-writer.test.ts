import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HTML_ROWS_SHOWN } from '../../src/replay/report-html.js';
import { ReportWriter } from '../../src/replay/report-writer.js';
import type { ReportItem } from '../../src/replay/report.js';
import { scratchDirectory } from '../support/scratch.js';

const reports = scratchDirectory('report-writer');

describe('the replay report', () => {
  it('takes answers coming in at a high concurrency without piling listeners on its files, and keeps every one', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const report = await ReportWriter.create();
      // Items large enough that the scratch file asks writers to wait, 64 at once (as with --concurrency 64).
      const item = (line: number): ReportItem => ({ file: 'server.log', line, peer: 'DMS_01', referenceId: line, class: 'newlyFailing', logged: { result: 'success', line: line + 1 }, now: { result: 'fault', FaultCode: 1021, FaultString: 'x'.repeat(4_000) } });
      await Promise.all(Array.from({ length: 64 }, (_, i) => report.add(item(i + 1))));
      const path = join(reports, 'replay.json');
      await report.finish(path, { target: 'http://127.0.0.1:8080', mode: 'dryRun', redacted: true, files: ['server.log'], startedAt: '' });
      // Listener warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));

      expect(warnings.map((warning) => warning.name)).not.toContain('MaxListenersExceededWarning');
      const written = JSON.parse(readFileSync(path, 'utf8')) as { summary: { newlyFailing: number }; items: ReportItem[] };
      expect(written.summary.newlyFailing).toBe(64);
      expect(written.items.map((entry) => entry.line).sort((a, b) => a - b)).toEqual(Array.from({ length: 64 }, (_, i) => i + 1));
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('lists in the HTML the first 5,000 differences and 1,000 unchanged requests, and says how many more the JSON holds', async () => {
    const report = await ReportWriter.create();
    const item = (line: number, itemClass: ReportItem['class']): ReportItem => ({ file: 'server.log', line, peer: 'DMS_01', referenceId: line, class: itemClass, logged: { result: 'success' }, now: { result: itemClass === 'same' ? 'success' : 'fault', FaultCode: 1021 } });
    for (let line = 1; line <= HTML_ROWS_SHOWN.differences + 3; line++) await report.add(item(line, 'newlyFailing'));
    for (let line = 1; line <= HTML_ROWS_SHOWN.same + 2; line++) await report.add(item(100_000 + line, 'same'));
    const path = join(reports, 'many.json');
    await report.finish(path, { target: 'http://127.0.0.1:8080', mode: 'dryRun', redacted: true, files: ['server.log'], startedAt: '' });

    const html = readFileSync(path.replace('.json', '.html'), 'utf8');
    expect(html.match(/<tr class="newlyFailing">/g)).toHaveLength(HTML_ROWS_SHOWN.differences);
    expect(html).toContain('<p>3 more differences are in the JSON report.</p>');
    expect(html.match(/<tr class="same">/g)).toHaveLength(HTML_ROWS_SHOWN.same);
    expect(html).toContain('<p>2 more unchanged requests are in the JSON report.</p>');
    expect((JSON.parse(readFileSync(path, 'utf8')) as { items: unknown[] }).items).toHaveLength(HTML_ROWS_SHOWN.differences + 3 + HTML_ROWS_SHOWN.same + 2);
  });
});
