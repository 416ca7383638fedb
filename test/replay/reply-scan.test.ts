import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getScalar, isKvList } from '../../src/esp/kvlist.js';
import { parseLogMessage } from '../../src/esp/log-form.js';
import { extractRequests, type ReplayItem } from '../../src/replay/extract-requests.js';
import { scanReplyBlock } from '../../src/replay/quick-scan.js';
import { scratchDirectory } from '../support/scratch.js';

const scratch = scratchDirectory('reply-scan');

const TAB_FAULT = "12:00:01.170 Trc 04542 Message Event3rdServerFault received from 'DMS_02'";
const TYPED_FAULT = "12:00:01.170 Received from 'DMS_02': 'Event3rdServerFault' (";

/** What the full parse reads from a reply, in the shape the scan gives. */
function fullParse(block: string) {
  const parsed = parseLogMessage(block.split('\n'), 1);
  const request = parsed.attributes.Request;
  const list = isKvList(request) ? request : undefined;
  const fields = { referenceId: parsed.referenceId, faultCode: getScalar(list, 'FaultCode'), faultString: getScalar(list, 'FaultString'), sessionId: getScalar(list, '_umsChatSessionId') };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

describe('quick scan of logged replies', () => {
  it.each([
    ['a tab-style response', ["12:00:01.187 Trc 04542 Message Event3rdServerResponse received from 'DMS_01'", '\tAttributeReferenceID\t7', '\tAttributeRequest\t[40] 00 01 00 00..', "\t\t'_umsChatSessionId'\t'0000GaBNKN2Q0021'"], { referenceId: 7, sessionId: '0000GaBNKN2Q0021' }],
    ['a tab-style fault', [TAB_FAULT, '\tAttributeReferenceID\t7', '\tAttributeRequest\t[40] 00 01 00 00..', "\t\t'FaultCode'\t01010", "\t\t'FaultString'\t'it's \"missing\"'  "], { referenceId: 7, faultCode: '1010', faultString: 'it\'s "missing"' }],
    ['a typed-style fault', [TYPED_FAULT, '\tattr_ref_id [int] = 9', "\t'Request' [list] =", "\t\t'{i}FaultCode' [int] = 1020", "\t\t'FaultString' [str] = \"unknown\"", "\t\t'FaultString' [str] = \"second\"", ')'], { referenceId: 9, faultCode: '1020', faultString: 'unknown' }],
  ])('reads %s as the full parse does', (_case, lines, expected) => {
    const block = lines.join('\n');
    expect(scanReplyBlock(block)).toEqual(expected);
    expect(fullParse(block)).toEqual(expected);
  });

  it.each([
    ['a broken value', "\t\t'FaultString'\tno quotes"],
    ['a nested list', "\t\t'Detail'(list)\t'Code'\t'7'"],
    ['another attribute', "\tAttributeThisDN\t'5001'"],
    ['an item outside the Request list', "\t'FaultCode'\t1020"],
    ['a key holding a quote', "\t\t'Fault'Code'\t1020"],
    ['a value typed [bool]', "\t\t'Flag' [bool] = 1"],
    ['a quoted ReferenceId', "\tAttributeReferenceID\t'7'"],
    ['a typed value holding a carriage return', "\t\t'Detail' [str] = \"a\rb\""],
  ])('leaves a reply with %s to the full parse', (_case, line) => {
    const block = [TAB_FAULT, '\tAttributeReferenceID\t7', '\tAttributeRequest\t[40] 00 01 00 00..', "\t\t'FaultCode'\t1020", line].join('\n');
    expect(scanReplyBlock(block)).toBeUndefined();
  });

  it('leaves an AttributeRequest line holding a line separator to the full parse, which reads it (U+2028 is no line break in a log)', () => {
    const block = [TAB_FAULT, '\tAttributeReferenceID\t7', '\tAttributeRequest\t[40] 00\u2028 01', "\t\t'FaultCode'\t1020"].join('\n');
    expect(scanReplyBlock(block)).toBeUndefined();
    expect(fullParse(block)).toEqual({ referenceId: 7, faultCode: '1020' });
  });

  it('reports a broken reply as unparsed with its line, and leaves its request unanswered', async () => {
    const log = [
      "12:00:01.123 Trc 04541 Message Request3rdServer sent to 'DMS_02'",
      '\tAttributeReferenceID\t7',
      '\tAttributeRequest\t[212] 00 05 00 00..',
      "\t\t'Service'\t'ChatService'",
      "\t\t'Method'\t'InviteToChat'",
      TAB_FAULT,
      '\tAttributeReferenceID\t7',
      '\tAttributeRequest\t[40] 00 01 00 00..',
      "\t\t'FaultCode'\t1010",
      "\t\t'FaultString'\t_umsBusinessId is missing",
    ].join('\n');
    const path = join(scratch, 'server.log');
    writeFileSync(path, log);
    const items: ReplayItem[] = [];
    for await (const item of extractRequests(path)) items.push(item);

    expect(items).toHaveLength(2);
    expect(items[0]).toEqual({ kind: 'unparsed', file: path, line: 6, peer: 'DMS_02', time: '12:00:01.170', problem: 'log text line 10: a value must be \'quoted\' or an integer' });
    expect(items[1]).toMatchObject({ kind: 'request', line: 1, referenceId: 7 });
    expect(items[1]).not.toHaveProperty('reply');
  });
});
