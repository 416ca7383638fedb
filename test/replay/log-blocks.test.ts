import { describe, expect, it } from 'vitest';
import { LogBlockSplitter, type LogItem } from '../../src/replay/log-blocks.js';

/** CRLF line ends, accented names and an emoji: bytes where a chunk boundary can fall badly. */
const LOG = [
  '12:00:00.001 Std 05060 Server started — naïve noise',
  "12:00:01.123 Trc 04541 Message Request3rdServer sent to 'DMS_01'",
  '\tAttributeReferenceID\t7',
  '\tAttributeRequest\t[212] 00 05 00 00..',
  "\t\t'Parameters'(list)\t'_umsClientId'\t'+15551230001'",
  "\t\t\t'Contact'(list)\t'FirstName'\t'José 😀'",
  '{"ReferenceId":3,"Request":{"Parameters":{"_umsClientId":"+15551230004"}}}',
  "12:00:01.150 Sending to 'DMS_02': 'Request3rdServer' (",
  "\t'Request' [list] =",
  "\t\t'LastName' [str] = \"Ñandú\"",
  ')',
  "12:00:01.170 Trc 04542 Message Event3rdServerFault received from 'DMS_02'",
  "\t\t'FaultString'\t'no'",
].join('\r\n');

function split(bytes: Buffer, chunkBytes: number): LogItem[] {
  const splitter = new LogBlockSplitter();
  const items: LogItem[] = [];
  for (let at = 0; at < bytes.length; at += chunkBytes) items.push(...splitter.addBytes(bytes.subarray(at, at + chunkBytes)));
  items.push(...splitter.end());
  return items;
}

describe('splitting a log into message blocks', () => {
  it('finds the same blocks, lines and text whatever byte the chunks end on, inside a character or a CRLF pair included', () => {
    const bytes = Buffer.from(LOG);
    const whole = split(bytes, bytes.length);

    expect(whole.map((item) => (item.kind === 'skipped' ? `skipped ${item.count}` : `${item.kind} ${item.line}`))).toEqual(['skipped 1', 'block 2', 'json 7', 'block 8', 'block 12']);
    // Block text is joined by \n alone, whole characters included.
    expect(whole[1]).toMatchObject({ kind: 'block', lineCount: 5, text: LOG.split('\r\n').slice(1, 6).join('\n') });
    expect(whole[3]).toMatchObject({ kind: 'block', lineCount: 4, truncated: false, text: LOG.split('\r\n').slice(7, 11).join('\n') });
    for (const chunkBytes of [1, 2, 3, 5, 64]) expect(split(bytes, chunkBytes)).toEqual(whole);
  });
});
