import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { extractRequests, parseLoggedRequest, type ReplayItem } from '../../src/replay/extract-requests.js';
import { scratchDirectory } from '../support/scratch.js';
import { tabRequest, tabResponse } from '../support/tab-log.js';

/** A day of server log written for the purpose: two clients, recycled ReferenceIds, noise, a broken and a cut-off message. */
const LOG = [
  '12:00:00.001 Std 05060 Server started', //                                                    1 skipped
  "12:00:01.123 Trc 04541 Message Request3rdServer sent to 'DMS_01'", //                         2 request A (ref 7)
  '\tAttributeReferenceID\t7',
  '\tAttributeRequest\t[212] 00 05 00 00..',
  "\t\t'AppName'\t'IVR_Main'",
  "\t\t'Service'\t'ChatService'",
  "\t\t'Method'\t'InviteToChat'",
  "\t\t'Parameters'(list)\t'_umsClientId'\t'+15551230001'",
  "\t\t\t'_umsBusinessId'\t'+15550001111'",
  "\t\t\t'Contact'(list)\t'FirstName'\t'Ana'",
  "\t\t\t\t'LastName'\t'Silva'",
  "12:00:01.150 Sending to 'DMS_02': 'Request3rdServer' (", //                                  12 request B (other peer, ref 7)
  '\tattr_ref_id [int] = 7',
  "\t'Request' [list] =",
  "\t\t'AppType' [int] = 171",
  "\t\t'Service' [str] = \"ChatService\"",
  "\t\t'Method' [str] = \"InviteToChat\"",
  "\t\t'Parameters' [list] =",
  "\t\t\t'_umsClientId' [str] = \"+15551230002\"",
  ')',
  '12:00:01.160 Int 04545 Interaction message "EventAck" sent', //                               21 skipped
  "12:00:01.170 Trc 04542 Message Event3rdServerFault received from 'DMS_02'", //               22 fault for B
  '\tAttributeReferenceID\t7',
  '\tAttributeRequest\t[40] 00 01 00 00..',
  "\t\t'FaultCode'\t1010",
  "\t\t'FaultString'\t'_umsBusinessId is missing or empty'",
  "12:00:01.187 Trc 04542 Message Event3rdServerResponse received from 'DMS_01'", //            27 reply for A
  '\tAttributeReferenceID\t7',
  '\tAttributeRequest\t[40] 00 01 00 00..',
  "\t\t'_umsChatSessionId'\t'0000GaBNKN2Q0021'",
  "13:00:00.000 Trc 04541 Message Request3rdServer sent to 'DMS_01'", //                        31 request C (ref 7 again)
  '\tAttributeReferenceID\t7',
  '\tAttributeRequest\t[212] 00 05 00 00..',
  "\t\t'AppName'\t'IVR_Main'",
  "\t\t'Service'\t'ChatService'",
  "\t\t'Method'\t'InviteToChat'",
  "\t\t'Parameters'(list)\t'_umsClientId'\t'+15551230003'",
  "13:00:00.010 Trc 04541 Message Request3rdServer sent to 'DMS_01'", //                        38 broken block
  '\tAttributeReferenceID\t8',
  '\tAttributeRequest\t[212] 00 05 00 00..',
  "\t\t'Service'\tChatService",
  "13:00:00.050 Trc 04542 Message Event3rdServerResponse received from 'DMS_01'", //            42 reply for C
  '\tAttributeReferenceID\t7',
  '\tAttributeRequest\t[40] 00 01 00 00..',
  "\t\t'_umsChatSessionId'\t'0000GaBNKN2Q0099'",
  '{"ReferenceId":3,"Request":{"AppName":"QA","Service":"ChatService","Method":"InviteToChat","Parameters":{"_umsClientId":"+15551230004"}}}', // 46 json
  "13:00:01.000 Sending to 'DMS_01': 'Request3rdServer' (", //                                  47 cut off at the end
  '\tattr_ref_id [int] = 9',
  "\t'Request' [list] =",
  "\t\t'Service' [str] = \"ChatService\"",
].join('\n');

const logs = scratchDirectory('replay-logs');
let logCount = 0;

function writeLog(name: string, content: string | Buffer): string {
  const path = join(logs, String(++logCount), name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return path;
}

async function collect(path: string): Promise<ReplayItem[]> {
  const items: ReplayItem[] = [];
  for await (const item of extractRequests(path)) items.push(item);
  return items;
}

function requestOf(item: ReplayItem) {
  if (item.kind !== 'request') return undefined;
  const parsed = parseLoggedRequest(item);
  return parsed.kind === 'request' ? parsed.request : undefined;
}
const clientOf = (item: ReplayItem) => (requestOf(item)?.request.Parameters as Record<string, string> | undefined)?._umsClientId;

describe('extracting logged InviteToChat requests', () => {
  it.each([
    ['a plain log', () => writeLog('server.log', LOG)],
    ['a gzipped log', () => writeLog('server.log.gz', gzipSync(LOG))],
  ])('pairs each request with its reply by peer and ReferenceId, nearest after it, in %s', async (_case, make) => {
    const items = await collect(make());
    const requests = items.filter((item) => item.kind === 'request');
    const byClient = Object.fromEntries(requests.map((item) => [clientOf(item), item]));

    expect(byClient['+15551230001']).toMatchObject({ line: 2, peer: 'DMS_01', time: '12:00:01.123', reply: { kind: 'response', line: 27, sessionId: '0000GaBNKN2Q0021' } });
    expect(byClient['+15551230002']).toMatchObject({ line: 12, peer: 'DMS_02', reply: { kind: 'fault', line: 22, faultCode: 1010, faultString: '_umsBusinessId is missing or empty' } });
    // ReferenceId 7 again an hour later: its reply is the one after it, not the first one.
    expect(byClient['+15551230003']).toMatchObject({ line: 31, reply: { kind: 'response', line: 42, sessionId: '0000GaBNKN2Q0099' } });
    // The broken block (line 38) is a request too until it is parsed in full; the JSON line is one.
    expect(requests.map((item) => item.line).sort((a, b) => a - b)).toEqual([2, 12, 31, 38, 46]);
    expect(requestOf(byClient['+15551230001']!)!.request.Parameters).toEqual({
      _umsClientId: '+15551230001',
      _umsBusinessId: '+15550001111',
      Contact: { FirstName: 'Ana', LastName: 'Silva' },
    });
  });

  it('pairs by peer as well: two peers with one ReferenceId get their own replies, whichever peer answers first', async () => {
    const invite = (time: string, peer: string, ref: number, clientId: string) => tabRequest(time, peer, ref, [`'_umsClientId'\t'${clientId}'`]);
    const log = [
      // ReferenceId 5: the earlier peer answers first.
      ...invite('09:00:00.100', 'DMS_01', 5, '+15551239101'),
      ...invite('09:00:00.200', 'DMS_02', 5, '+15551239102'),
      ...tabResponse('09:00:00.300', 'DMS_01', 5, '0000000000000101'),
      ...tabResponse('09:00:00.400', 'DMS_02', 5, '0000000000000102'),
      // ReferenceId 6: the later peer answers first.
      ...invite('09:00:01.100', 'DMS_01', 6, '+15551239103'),
      ...invite('09:00:01.200', 'DMS_02', 6, '+15551239104'),
      ...tabResponse('09:00:01.300', 'DMS_02', 6, '0000000000000104'),
      ...tabResponse('09:00:01.400', 'DMS_01', 6, '0000000000000103'),
    ].join('\n');
    const requests = (await collect(writeLog('server.log', log))).filter((item) => item.kind === 'request');
    const pairs = requests.map((item) => [clientOf(item), item.kind === 'request' ? item.peer : undefined, item.kind === 'request' ? item.reply : undefined]);
    expect(pairs).toEqual(
      expect.arrayContaining(
        ['01', '02', '03', '04'].map((n) => [`+155512391${n}`, n === '01' || n === '03' ? 'DMS_01' : 'DMS_02', expect.objectContaining({ kind: 'response', sessionId: `00000000000001${n}` })]),
      ),
    );
    expect(pairs).toHaveLength(4);
  });

  it('reports broken and cut-off messages as unparsed with their line, and counts the lines outside any message', async () => {
    const items = await collect(writeLog('server.log', LOG));
    expect(items.filter((item) => item.kind === 'unparsed')).toEqual([
      { kind: 'unparsed', file: expect.any(String), line: 47, peer: 'DMS_01', time: '13:00:01.000', problem: 'Request3rdServer is cut off: its closing ")" never came' },
    ]);
    // A broken request block is found when it is parsed in full, before it would be sent.
    const broken = items.find((item) => item.kind === 'request' && item.line === 38)!;
    expect(parseLoggedRequest(broken as Extract<ReplayItem, { kind: 'request' }>)).toEqual({
      kind: 'unparsed',
      problem: "log text line 41: a value must be 'quoted' or an integer",
    });
    const skipped = items.reduce((sum, item) => sum + (item.kind === 'skipped' ? item.count : 0), 0);
    expect(skipped).toBe(2);
    const json = items.find((item) => item.kind === 'request' && item.form === 'json');
    expect(json).toMatchObject({ line: 46 });
    expect(clientOf(json!)).toBe('+15551230004');
  });

  it('leaves out requests for other methods, but not an InviteToChat whose UserData, logged first, has a key named Service or Method', async () => {
    const block = (ref: number, userData: string[], service: string) => [
      `12:00:01.${ref}00 Trc 04541 Message Request3rdServer sent to 'DMS_01'`,
      `\tAttributeReferenceID\t${ref}`,
      ...userData,
      '\tAttributeRequest\t[212] 00 05 00 00..',
      `\t\t'Service'\t'${service}'`,
      "\t\t'Method'\t'InviteToChat'",
      `\t\t'Parameters'(list)\t'_umsClientId'\t'+1555123000${ref}'`,
    ];
    const log = [
      ...block(1, ['\tAttributeUserData\t[61] 00 02 00 00..', "\t\t'Service'\t'Billing'", "\t\t'Method'\t'Refund'"], 'ChatService'),
      ...block(2, [], 'ContactService'),
      ...block(3, ['\tAttributeUserData\t[61] 00 02 00 00..', "\t\t'Service'\t'ChatService'"], 'ContactService'),
    ].join('\n');
    const items = await collect(writeLog('server.log', log));
    const requests = items.filter((item) => item.kind === 'request');
    expect(requests.map((item) => item.line)).toEqual([1, 16]);
    expect(clientOf(requests[0]!)).toBe('+15551230001');
    // The third looks like an InviteToChat to the quick scan; the full parse, before it would be sent, leaves it out.
    expect(parseLoggedRequest(requests[1]!)).toEqual({ kind: 'otherMethod' });
    // The second is left out at once, its 6 lines counted as skipped.
    expect(items.reduce((sum, item) => sum + (item.kind === 'skipped' ? item.count : 0), 0)).toBe(6);
  });

  it('reports a fault reply whose FaultCode is not an integer as unparsed, and replays its request without a logged answer', async () => {
    const log = [
      "12:00:01.123 Trc 04541 Message Request3rdServer sent to 'DMS_01'",
      '\tAttributeReferenceID\t7',
      '\tAttributeRequest\t[212] 00 05 00 00..',
      "\t\t'Service'\t'ChatService'",
      "\t\t'Method'\t'InviteToChat'",
      "\t\t'Parameters'(list)\t'_umsClientId'\t'+15551230001'",
      "12:00:01.170 Trc 04542 Message Event3rdServerFault received from 'DMS_01'",
      '\tAttributeReferenceID\t7',
      '\tAttributeRequest\t[40] 00 01 00 00..',
      "\t\t'FaultCode'\t'timeout'",
      "\t\t'FaultString'\t'no answer'",
    ].join('\n');
    const items = await collect(writeLog('server.log', log));
    const [unparsed, request, ...rest] = items.filter((item) => item.kind !== 'skipped');
    expect(unparsed).toEqual({ kind: 'unparsed', file: expect.any(String), line: 7, peer: 'DMS_01', time: '12:00:01.170', problem: 'FaultCode must be an integer, not "timeout"' });
    expect(request).toMatchObject({ kind: 'request', line: 1 });
    expect(request!.kind === 'request' && request!.reply).toBeUndefined();
    expect(rest).toEqual([]);
  });
});
