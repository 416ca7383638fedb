import { open } from 'node:fs/promises';
import { once } from 'node:events';
import type { Answer } from './classify.js';
import { CLASS_LABELS, isDifference, type ReplaySummary, type ReportItem, type ReportRun } from './report.js';

/**
 * Rows listed in the HTML report, for differences and for unchanged requests; the JSON report has
 * them all. A build that breaks every invite of a day of logs would otherwise make a page no
 * browser opens.
 */
export const HTML_ROWS_SHOWN = { differences: 5000, same: 1000 } as const;

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}.newlyFailing,.changedFault,.unparsed{background:#fde8e8}.newlyPassing,.changedRendering{background:#fff6dd}
.incomplete{background:#fde8e8;padding:.5em}pre{margin:0;white-space:pre-wrap;max-width:48em}code{font-size:13px}`;

/**
 * The human-readable report: summary, then every difference with what the log (or baseline) said
 * and what the gateway says now, then the unchanged requests. Written as a stream of items.
 */
export async function writeHtmlReport(path: string, summary: ReplaySummary, run: ReportRun, items: () => AsyncIterable<ReportItem>): Promise<void> {
  const out = (await open(path, 'w')).createWriteStream();
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(header(summary, run));
  let section: 'differences' | 'same' | undefined;
  let rows = 0;
  const endSection = async () => {
    if (!section) return;
    await write('</table>');
    const more = rows - HTML_ROWS_SHOWN[section];
    if (more > 0) await write(`<p>${more} more ${section === 'same' ? 'unchanged requests' : 'differences'} are in the JSON report.</p>`);
  };
  for await (const item of items()) {
    const next = isDifference(item.class) ? 'differences' : 'same';
    if (next !== section) {
      await endSection();
      await write(`<h2>${next === 'same' ? 'Unchanged or unpaired' : 'Differences'}</h2>${TABLE_HEAD}`);
      section = next;
      rows = 0;
    }
    if (++rows > HTML_ROWS_SHOWN[section]) continue;
    await write(row(item));
  }
  if (!section) await write('<p>No InviteToChat requests were replayed.</p>');
  await endSection();
  await write('</body></html>\n');
  out.end();
  await once(out, 'close');
}

const TABLE_HEAD = '<table><tr><th>class</th><th>where</th><th>peer / ReferenceId</th><th>invite</th><th>before</th><th>now</th></tr>';

function header(summary: ReplaySummary, run: ReportRun): string {
  const counts = Object.entries(CLASS_LABELS)
    .map(([key, label]) => `<tr><td>${label}</td><td>${summary[key as keyof ReplaySummary]}</td></tr>`)
    .join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>InviteToChat replay</title><style>${STYLE}</style></head><body>
<h1>InviteToChat replay</h1>
<p>${run.mode === 'live' ? 'Live' : 'Dry run'} against <code>${escape(run.target)}</code>, ${escape(run.startedAt)} to ${escape(run.finishedAt ?? '')}${run.redacted ? ', personal data masked' : ''}.</p>
${summary.incomplete ? `<p class="incomplete"><strong>Incomplete:</strong> the replay was stopped (Ctrl-C) before its end; the figures and rows below cover only the ${summary.requests} requests replayed until then.</p>\n` : ''}<table><tr><th>requests</th><td>${summary.requests}</td></tr>${counts}
<tr><td>skipped lines</td><td>${summary.skippedLines}</td></tr><tr><td>left out by filters</td><td>${summary.filtered}</td></tr></table>\n`;
}

function row(item: ReportItem): string {
  const { channel, businessId, standardResponseId, clientId } = item.invite ?? {};
  const invite = [channel, businessId, standardResponseId, clientId].filter((part) => part !== undefined).map((part) => escape(part!)).join('<br>');
  const before = item.problem ? escape(item.problem) : answerCell(item.logged ?? item.baseline ?? null, item.logged ? 'log' : 'baseline');
  const rendering = item.class === 'changedRendering' ? renderingDiff(item.baseline?.rendered, item.now?.rendered) : '';
  return `<tr class="${item.class}"><td>${CLASS_LABELS[item.class]}</td><td>${escape(item.file)}:${item.line}</td>
<td>${escape(item.peer ?? '')} ${item.referenceId ?? ''}</td><td>${invite}</td><td>${before}</td><td>${answerCell(item.now, 'gateway')}${rendering}</td></tr>\n`;
}

function answerCell(answer: Answer | null, source: string): string {
  if (!answer) return '';
  const where = answer.line ? ` (line ${answer.line})` : '';
  if (answer.result === 'success') return `success <small>${source}${where}</small>`;
  return `fault ${answer.FaultCode ?? ''} <small>${source}${where}</small><br>${escape(answer.FaultString ?? '')}`;
}

function renderingDiff(before: string | null | undefined, after: string | null | undefined): string {
  return `<details><summary>render</summary>before<pre>${escape(pretty(before))}</pre>now<pre>${escape(pretty(after))}</pre></details>`;
}

function pretty(rendered: string | null | undefined): string {
  if (rendered === null || rendered === undefined) return '(none)';
  try {
    return JSON.stringify(JSON.parse(rendered), null, 2);
  } catch {
    return rendered;
  }
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
