import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getEntry, isKvList } from '../../src/esp/kvlist.js';
import { extractRequests, parseLoggedRequest, type LoggedRequest, type ReplayItem } from '../../src/replay/extract-requests.js';
import { scratchDirectory } from '../support/scratch.js';

/** The README's promise about logs, held to what the reader does: every sample it shows is read. */
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const section = readme.slice(readme.indexOf('## Logs replay reads'), readme.indexOf('\n## ', readme.indexOf('## Logs replay reads') + 1));

/** The header lines of the section's table. */
const headers = [...section.matchAll(/^\| [^|]+ \| `([^`]+)` \|$/gm)].map((match) => match[1]!);
/** Its fenced blocks (the typed style and the PSDK printout). */
const blocks = [...section.matchAll(/^```\n([\s\S]*?)\n```$/gm)].map((match) => match[1]!);

/** A tab-style body, as docs/replay.md's sample shows it. */
const TAB_BODY = [
  '\tAttributeReferenceID\t9',
  '\tAttributeRequest\t[212] 00 05 00 00..',
  "\t\t'AppName'\t'IVR_Main'",
  "\t\t'Service'\t'ChatService'",
  "\t\t'Method'\t'InviteToChat'",
  "\t\t'Parameters'(list)\t'_umsChannel'\t'whatsapp-main'",
  "\t\t\t'_umsClientId'\t'+15551230001'",
  "\t\t\t'_umsBusinessId'\t'+15550001111'",
  "\t\t\t'StandardResponseId'\t'order_ready'",
];

async function requestsIn(text: string): Promise<LoggedRequest[]> {
  const directory = scratchDirectory('readme-layouts');
  mkdirSync(directory, { recursive: true });
  const file = join(directory, 'server.log');
  writeFileSync(file, `${text}\n`);
  const items: ReplayItem[] = [];
  for await (const item of extractRequests(file)) items.push(item);
  expect(items.filter((item) => item.kind === 'unparsed'), text).toEqual([]);
  return items.filter((item): item is LoggedRequest => item.kind === 'request');
}

function parametersOf(item: LoggedRequest) {
  const parsed = parseLoggedRequest(item);
  if (parsed.kind !== 'request') throw new Error(`not read as a request: ${JSON.stringify(parsed)}`);
  const parameters = getEntry(parsed.request.request, 'Parameters');
  return isKvList(parameters) ? { ...parameters } : undefined;
}

describe("the README's log samples", () => {
  it('shows five tab-style header lines and two typed blocks', () => {
    expect(headers).toHaveLength(5);
    expect(blocks).toHaveLength(2);
  });

  it.each(headers.map((header) => [header]))('reads a block under the header %s as one request', async (header) => {
    const requests = await requestsIn([header, ...TAB_BODY].join('\n'));
    expect(requests).toHaveLength(1);
    expect(parametersOf(requests[0]!)).toMatchObject({ _umsClientId: '+15551230001', StandardResponseId: 'order_ready' });
  });

  it.each(blocks.map((block, index) => [index + 1, block]))('reads typed block %i as one request with its parameters', async (_index, block) => {
    const requests = await requestsIn(block as string);
    expect(requests).toHaveLength(1);
    expect(parametersOf(requests[0]!)).toMatchObject({ _umsChannel: 'whatsapp-main', _umsClientId: '+15551230001', CustomProperties: { OrderId: 'A-1042', Track: 'A1042' } });
  });
});
