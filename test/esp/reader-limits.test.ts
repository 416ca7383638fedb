import { describe, expect, it } from 'vitest';
import { parseJsonRequest, peekJsonReferenceId } from '../../src/esp/json-form.js';
import { parseLoggedRequest, peekLogReferenceId } from '../../src/esp/log-form.js';
import type { ReadLimits } from '../../src/esp/read-limits.js';
import { parseXmlRequest, peekXmlReferenceId } from '../../src/esp/xml-form.js';
import { invitesFor, kv } from '../support/esp-examples.js';
import { faultOf } from '../support/faults.js';

const [JSON_FORM, XML_FORM, TAB_FORM, TYPED_FORM] = invitesFor('+15551230001').map((form) => form.body) as [string, string, string, string];

/** A body whose `Request` (depth 1) holds lists down to `depth`, the deepest holding one string. */
const nested = {
  json(depth: number): string {
    const inner = (level: number): string => (level === 1 ? '{"a":"b"}' : `{"k":${inner(level - 1)}}`);
    return `{"Request":${inner(depth)}}`;
  },
  xml(depth: number): string {
    const inner = (level: number): string => (level === 1 ? kv('a', 'b') : `<kvitem><key>k</key><value><ValueList>${inner(level - 1)}</ValueList></value></kvitem>`);
    return `<Request3rdServer><Request>${inner(depth)}</Request></Request3rdServer>`;
  },
  tabLog(depth: number): string {
    const lines = ['\tAttributeRequest\t[1] 00'];
    for (let level = 2; level <= depth; level++) lines.push(`${'\t'.repeat(level)}'k'(list)`);
    lines.push(`${'\t'.repeat(depth + 1)}'a'\t'b'`);
    return lines.join('\n');
  },
  typedLog(depth: number): string {
    const lines = ["\t'Request' [list] ="];
    for (let level = 2; level <= depth; level++) lines.push(`${'\t'.repeat(level)}'k' [list] =`);
    lines.push(`${'\t'.repeat(depth + 1)}'a' [str] = "b"`);
    return lines.join('\n');
  },
};

const readers = [
  ['JSON', (depth: number, limits?: ReadLimits) => parseJsonRequest(nested.json(depth), limits)],
  ['XML', (depth: number, limits?: ReadLimits) => parseXmlRequest(nested.xml(depth), limits)],
  ['tab log', (depth: number, limits?: ReadLimits) => parseLoggedRequest(nested.tabLog(depth), limits)],
  ['typed log', (depth: number, limits?: ReadLimits) => parseLoggedRequest(nested.typedLog(depth), limits)],
] as const;

describe('how deep lists may nest (limits.maxNestingDepth)', () => {
  it.each(readers)('%s: lists 32 deep are read, 33 deep are fault 1001 naming the limit and the position', (_form, read) => {
    expect(read(32).request.k).toBeDefined();
    const problem = faultOf(() => read(33));
    expect(problem.faultCode).toBe(1001);
    expect(problem.message).toMatch(/^lists nest deeper than 32 levels \(limits\.maxNestingDepth\) at (log text )?line \d+/);
  });

  it.each(readers)('%s: the limit is the configured one', (_form, read) => {
    expect(read(4, { maxNestingDepth: 4 }).request.k).toBeDefined();
    expect(faultOf(() => read(5, { maxNestingDepth: 4 })).message).toMatch(/deeper than 4 levels/);
  });

  it('JSON nested 10,000 deep, XML ValueLists 2,000 deep and a log line chaining (list) 20,000 times are fault 1001, not a stack overflow', () => {
    const json = `{"Request":${'{"k":'.repeat(10_000)}"v"${'}'.repeat(10_001)}`;
    const xml = `<Request3rdServer><Request>${'<kvitem><key>k</key><value><ValueList>'.repeat(2_000)}${'</ValueList></value></kvitem>'.repeat(2_000)}</Request></Request3rdServer>`;
    const log = `\tAttributeRequest\t[1] 00\n\t\t${"'k'(list)".repeat(20_000)}'v'\t'x'`;
    expect(faultOf(() => parseJsonRequest(json)).message).toBe('lists nest deeper than 32 levels (limits.maxNestingDepth) at line 1, column 172 of the JSON body');
    expect(faultOf(() => parseXmlRequest(xml)).message).toMatch(/^lists nest deeper than 32 levels \(limits\.maxNestingDepth\) at line 1, column \d+ of the XML body$/);
    expect(faultOf(() => parseLoggedRequest(log)).message).toBe('lists nest deeper than 32 levels (limits.maxNestingDepth) at log text line 2');
  });

  it('XML elements nested deeper than any list within the limit allows are fault 1001 too', () => {
    const xml = `<Request3rdServer><Request>${'<kvitem>'.repeat(200)}${'</kvitem>'.repeat(200)}</Request></Request3rdServer>`;
    expect(faultOf(() => parseXmlRequest(xml)).message).toMatch(/^lists nest deeper than 32 levels/);
  });
});

describe('XML well-formedness the sax pass used to miss', () => {
  const withSecretValue = XML_FORM.replace('Main St', 'Secret Lane 5');

  it.each([
    ['an empty second root', `${withSecretValue}<a/>`, /^the body is not well-formed XML: a second root element at line 1, column \d+$/],
    ['a childless second root', `${withSecretValue}\n<a></a>`, /^the body is not well-formed XML: a second root element at line 2, column 3$/],
    ['a second root with children', `${withSecretValue}<Request3rdServer><Request/></Request3rdServer>`, /a second root element/],
    ['a raw NUL in a value', withSecretValue.replace('Secret Lane 5', 'Secret\u0000Lane 5'), /^the body is not well-formed XML: character U\+0000 is not allowed in XML 1\.0 at line 1, column \d+$/],
    ['a control character', `${withSecretValue.slice(0, 60)}\n\u0001${withSecretValue.slice(60)}`, /character U\+0001 is not allowed in XML 1\.0 at line 2, column 1$/],
    ['U+FFFE', withSecretValue.replace('Secret', 'Sec\uFFFEret'), /character U\+FFFE is not allowed/],
    ['a lone surrogate', withSecretValue.replace('Secret', 'Sec\uD800ret'), /character U\+D800 is not allowed/],
    ['a mismatched closing tag', withSecretValue.replace('</UserData>', '</Secret>'), /^the body is not well-formed XML: [A-Z][^:]* at line 1, column \d+$/],
  ])('%s is fault 1001 naming the problem and its position, not the content', (_case, text, message) => {
    const problem = faultOf(() => parseXmlRequest(text));
    expect(problem.faultCode).toBe(1001);
    expect(problem.message).toMatch(message);
    expect(problem.message).not.toMatch(/Secret/);
  });

  it('tab, LF, CR, astral characters and comments after the root stay accepted', () => {
    const text = `${XML_FORM.replace('Main St', 'Main\tSt\r\n\u{1F600}')}<!-- logged by the IVR -->\n`;
    // (sax keeps a CR as it is, where XML would turn CR LF into LF: not this reader's concern.)
    expect(parseXmlRequest(text).userData?.StoreName).toMatch(/^Main\tSt\r?\n\u{1F600}$/u);
  });
});

describe('one ReferenceId rule for the three forms', () => {
  const twentyDigits = '12345678901234567890';
  const forms = {
    JSON: (id: string) => parseJsonRequest(JSON_FORM.replace('"ReferenceId":7', `"ReferenceId":${id}`)),
    XML: (id: string) => parseXmlRequest(XML_FORM.replace('<ReferenceId>7</ReferenceId>', `<ReferenceId>${id}</ReferenceId>`)),
    'tab log': (id: string) => parseLoggedRequest(TAB_FORM.replace('AttributeReferenceID\t7', `AttributeReferenceID\t${id}`)),
    'typed log': (id: string) => parseLoggedRequest(TYPED_FORM.replace('attr_ref_id [int] = 7', `attr_ref_id [int] = ${id}`)),
  };

  it.each(Object.entries(forms))('%s: 20 digits, 2^32 and -2^31-1 are fault 1001; the 32-bit bounds are read', (_form, read) => {
    for (const id of [twentyDigits, String(2 ** 32), String(-(2 ** 31) - 1)]) {
      const problem = faultOf(() => read(id));
      expect(problem.faultCode).toBe(1001);
      expect(problem.message).toBe('ReferenceId must be a 32-bit integer');
    }
    expect(read(String(2 ** 32 - 1)).referenceId).toBe(2 ** 32 - 1);
    expect(read(String(-(2 ** 31))).referenceId).toBe(-(2 ** 31));
  });

  it('the best-effort peeks for fault replies do not cut a long number down to an id the client never sent', () => {
    expect(peekJsonReferenceId(`{"ReferenceId":${twentyDigits}`)).toBeUndefined();
    expect(peekXmlReferenceId(`<ReferenceId>${twentyDigits}</ReferenceId>`)).toBeUndefined();
    expect(peekLogReferenceId(`\tAttributeReferenceID\t${twentyDigits}`)).toBeUndefined();
    expect(peekLogReferenceId('\tAttributeReferenceID\t4294967295')).toBe(4294967295);
  });
});

describe('a log key named like a message attribute', () => {
  it('stays the client key inside a list, in the typed style as in the tab style', () => {
    const typed = "\t'Request' [list] =\n\t\t'Parameters' [list] =\n\t\t\t'attr_ref_id' [int] = 5\n\t\t\t'request' [list] =\n\t\t\t\t'a' [str] = \"b\"";
    expect(parseLoggedRequest(typed).request.Parameters).toEqual({ attr_ref_id: 5, request: { a: 'b' } });
  });

  it('a value holding U+2028 reads in the typed style as in the others', () => {
    expect(parseLoggedRequest("\t'Request' [list] =\n\t\t'Note' [str] = \"a\u2028b\"").request.Note).toBe('a\u2028b');
  });
});
