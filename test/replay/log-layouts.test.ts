import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getEntry, isKvList } from '../../src/esp/kvlist.js';
import { extractRequests, parseLoggedRequest, type ReplayItem } from '../../src/replay/extract-requests.js';
import { GENESYS_LAYOUTS, LAYOUT_PARAMETERS } from '../support/genesys-layouts.js';
import { scratchDirectory } from '../support/scratch.js';

async function itemsOf(lines: string[]): Promise<ReplayItem[]> {
  const directory = scratchDirectory('log-layouts');
  mkdirSync(directory, { recursive: true });
  const file = join(directory, 'server.log');
  writeFileSync(file, `${lines.join('\n')}\n`);
  const items: ReplayItem[] = [];
  for await (const item of extractRequests(file)) items.push(item);
  return items;
}

/** The corpus: every layout once, each followed by unrelated lines, with its header's line number. */
function corpus(): { lines: string[]; headerLines: number[] } {
  const lines: string[] = [];
  const headerLines: number[] = [];
  GENESYS_LAYOUTS.forEach((layout, index) => {
    headerLines.push(lines.length + 1);
    lines.push(...layout.lines(100 + index), `12:00:02.${String(index).padStart(3, '0')} Std 05060 Interaction message "EventAck" sent`);
  });
  return { lines, headerLines };
}

describe('replay reads the layouts real Genesys servers log (domain.md 1.3, 2.5)', () => {
  it('reads a corpus holding every layout as exactly one request each, at its header line, with the right ReferenceId and parameters', async () => {
    const { lines, headerLines } = corpus();
    const items = await itemsOf(lines);
    expect(items.filter((item) => item.kind === 'unparsed')).toEqual([]);
    const requests = items.filter((item) => item.kind === 'request');
    expect(requests.map((request) => request.line)).toEqual(headerLines);
    requests.forEach((request, index) => {
      expect(request.referenceId, GENESYS_LAYOUTS[index]!.name).toBe(100 + index);
      expect(request.channel, GENESYS_LAYOUTS[index]!.name).toBe('whatsapp-main');
      const parsed = parseLoggedRequest(request);
      expect(parsed.kind, GENESYS_LAYOUTS[index]!.name).toBe('request');
      if (parsed.kind !== 'request') return;
      expect(parsed.request.referenceId).toBe(100 + index);
      const parameters = getEntry(parsed.request.request, 'Parameters');
      expect(isKvList(parameters) && { ...parameters }, GENESYS_LAYOUTS[index]!.name).toEqual(LAYOUT_PARAMETERS);
    });
  });

  it.each(GENESYS_LAYOUTS.map((layout) => [layout.name, layout] as const))('reads %s alone as one request', async (_name, layout) => {
    const items = await itemsOf(layout.lines(7));
    const requests = items.filter((item) => item.kind === 'request');
    expect(items.filter((item) => item.kind === 'unparsed')).toEqual([]);
    expect(requests).toHaveLength(1);
    expect(parseLoggedRequest(requests[0]!).kind).toBe('request');
  });

  it('pairs a request with its reply logged in the same layout: a peer named by number and type, or by number, type and name', async () => {
    const items = await itemsOf([
      '12:00:01.101 request to 65200(IxnServer) message Request3rdServer',
      ...GENESYS_LAYOUTS[0]!.lines(5).slice(1),
      '12:00:01.120 response from 65200(IxnServer) message Event3rdServerResponse',
      '\tAttributeReferenceID\t5',
      '\tAttributeRequest\t[40] 00 01 00 00..',
      "\t\t'_umsChatSessionId'\t'0000GaBNKN2Q0021'",
      ...GENESYS_LAYOUTS[1]!.lines(6),
      "12:00:01.130 Trc 04541 Message Event3rdServerFault (0x2aaab89e5d60) received from 30 (DMS 'DMS_01')",
      '\tAttributeReferenceID\t6',
      '\tAttributeConnID\t006c029a6685d004',
      '\tAttributeRequest\t[40] 00 01 00 00..',
      "\t\t'FaultCode'\t1010",
      "\t\t'FaultString'\t'_umsBusinessId is missing or empty'",
    ]);
    const requests = items.filter((item) => item.kind === 'request');
    expect(requests.map((request) => [request.peer, request.reply?.kind])).toEqual([
      ['65200(IxnServer)', 'response'],
      ['DMS_01', 'fault'],
    ]);
  });
});
