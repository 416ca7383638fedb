import { describe, expect, it } from 'vitest';
import { parseJsonRequest } from '../../src/esp/json-form.js';
import { parseLoggedRequest, parseLogHeader, parseLogMessage } from '../../src/esp/log-form.js';
import { parseEspBody } from '../../src/esp/reply.js';
import { parseXmlRequest } from '../../src/esp/xml-form.js';
import { invitesFor, kv, list } from '../support/esp-examples.js';
import { faultOf } from '../support/faults.js';

const [JSON_FORM, XML_FORM, TAB_FORM, TYPED_FORM] = invitesFor('+15551230001');
const JSON_EXAMPLE = JSON_FORM!.body;
const XML_EXAMPLE = XML_FORM!.body;
const TAB_EXAMPLE = TAB_FORM!.body;
const TYPED_EXAMPLE = TYPED_FORM!.body;

describe('ESP wire forms', () => {
  it('the domain examples in JSON, XML, tab log and typed log parse into the same request', () => {
    const expected = parseJsonRequest(JSON_EXAMPLE);
    expect(parseXmlRequest(XML_EXAMPLE)).toEqual(expected);
    expect(parseLoggedRequest(TAB_EXAMPLE)).toEqual(expected);
    expect(parseLoggedRequest(TYPED_EXAMPLE)).toEqual(expected);
    expect(expected.referenceId).toBe(7);
    expect(expected.request.Parameters).toMatchObject({ Contact: { FirstName: 'Ana', LastName: 'Silva' }, CustomProperties: { OrderId: 'A-1042' } });
  });

  it('when a key repeats in one list, then the first wins, in every form', () => {
    expect(parseJsonRequest('{"Request":{"AppName":"first","AppName":"second"}}').request.AppName).toBe('first');
    const xml = `<Request3rdServer><Request>${kv('AppName', 'first')}${kv('AppName', 'second')}</Request></Request3rdServer>`;
    expect(parseXmlRequest(xml).request.AppName).toBe('first');
    expect(parseLoggedRequest("\tAttributeRequest\t[1] 00\n\t\t'AppName'\t'first'\n\t\t'AppName'\t'second'").request.AppName).toBe('first');
  });

  it('IRD prefixes {s} {i} {l} are dropped from keys', () => {
    const request = parseJsonRequest('{"Request":{"{s}AppName":"IVR","{l}Parameters":{"{i}Count":3}}}').request;
    expect(request).toEqual({ AppName: 'IVR', Parameters: { Count: 3 } });
  });

  it('__proto__ and constructor stay plain entries and never reach Object.prototype', () => {
    const request = parseJsonRequest('{"Request":{"__proto__":{"polluted":"yes"},"constructor":"x"}}').request;
    expect(Object.keys(request)).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const xml = `<Request3rdServer><Request>${list('__proto__', kv('polluted', 'yes'))}</Request></Request3rdServer>`;
    expect(Object.keys(parseXmlRequest(xml).request)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a JSON boolean reads as "true"/"false" and a ValueInt as a number', () => {
    expect(parseJsonRequest('{"Request":{"T":true,"F":false}}').request).toEqual({ T: 'true', F: 'false' });
    const xml = '<Request3rdServer><Request><kvitem><key>AppType</key><value><ValueInt>171</ValueInt></value></kvitem></Request></Request3rdServer>';
    expect(parseXmlRequest(xml).request.AppType).toBe(171);
  });

  it.each([
    ['null', '{"Request":{"Parameters":{"Contact":null}}}', /Request.Parameters.Contact is null/],
    ['an array', '{"Request":{"Parameters":[]}}', /Request.Parameters is an array/],
    ['a fraction', '{"Request":{"AppType":1.5}}', /AppType is not an integer/],
    ['no Request', '{"ReferenceId":1}', /no Request/],
    ['broken JSON', '{"Request":{', /not valid JSON: .* line 1/],
    ['a huge ReferenceId', '{"ReferenceId":99999999999,"Request":{}}', /ReferenceId must be a 32-bit integer/],
  ])('JSON with %s is fault 1001 naming the problem', (_case, text, message) => {
    const problem = faultOf(() => parseJsonRequest(text));
    expect(problem.faultCode).toBe(1001);
    expect(problem.message).toMatch(message);
  });

  it.each([
    ['two roots', `${XML_EXAMPLE}${XML_EXAMPLE}`, /not well-formed/],
    ['text after the root', `${XML_EXAMPLE}junk`, /not well-formed/],
    ['an unclosed element', '<Request3rdServer><Request>', /not well-formed/],
    ['a DOCTYPE', '<!DOCTYPE x [<!ENTITY a "b">]><Request3rdServer/>', /DOCTYPE/],
    ['another root', '<Foo/>', /root element must be Request3rdServer/],
    ['an unknown element', '<Request3rdServer><Request><item/></Request></Request3rdServer>', /may only contain <kvitem>/],
    ['a kvitem without value', '<Request3rdServer><Request><kvitem><key>a</key></kvitem></Request></Request3rdServer>', /has no <value>/],
    ['two value types', '<Request3rdServer><Request><kvitem><key>a</key><value><ValueString>x</ValueString><ValueInt>1</ValueInt></value></kvitem></Request></Request3rdServer>', /exactly one of/],
    ['a ValueInt that is not an integer', '<Request3rdServer><Request><kvitem><key>a</key><value><ValueInt>x1</ValueInt></value></kvitem></Request></Request3rdServer>', /is not an integer/],
    ['a __proto__ element', '<Request3rdServer><__proto__/></Request3rdServer>', /may not contain <__proto__>/],
    ['text mixed with elements', '<Request3rdServer>hello<Request/></Request3rdServer>', /holds text where elements belong/],
  ])('XML with %s is fault 1001 naming the problem', (_case, text, message) => {
    const problem = faultOf(() => parseXmlRequest(text));
    expect(problem.faultCode).toBe(1001);
    expect(problem.message).toMatch(message);
  });

  it('log values keep quotes, braces and field codes: a value runs to the last quote of its line', () => {
    const text = "\tAttributeRequest\t[9] 00\n\t\t'Note'\t'it's \"odd\" {x} <$Contact.FirstName$>'";
    expect(parseLoggedRequest(text).request.Note).toBe('it\'s "odd" {x} <$Contact.FirstName$>');
  });

  it('log lists nest three deep, with the first child on the opener line, also when indented with spaces', () => {
    const text = [
      "\tAttributeRequest\t[9] 00",
      "\t\t'A'(list)\t'B'(list)\t'C'(list)\t'D'\t'deep'",
      "\t\t\t\t\t'E'\t'deep too'",
      "\t\t\t\t'F'\t'in B'",
      "\t\t\t'G'\t'in A'",
      "\t\t'H'\t5",
    ].join('\n');
    const expected = { A: { B: { C: { D: 'deep', E: 'deep too' }, F: 'in B' }, G: 'in A' }, H: 5 };
    expect(parseLoggedRequest(text).request).toEqual(expected);
    expect(parseLoggedRequest(text.replace(/\t/g, '  ')).request).toEqual(expected);
  });

  it('a broken log line is fault 1001 naming its line number', () => {
    const broken = TAB_EXAMPLE.replace("'ag7102'", 'ag7102');
    expect(faultOf(() => parseLoggedRequest(broken)).message).toMatch(/line 17: a value must be 'quoted' or an integer/);
  });

  it('log text with two messages, or a reply instead of a request, is refused', () => {
    expect(faultOf(() => parseLoggedRequest(`${TAB_EXAMPLE}\n${TAB_EXAMPLE}`)).message).toMatch(/holds 2 messages/);
    const reply = "12:00:01.187 Trc 04542 Message Event3rdServerResponse received from 'DMS_01'\n\tAttributeReferenceID\t7";
    expect(faultOf(() => parseLoggedRequest(reply)).message).toMatch(/is Event3rdServerResponse, not Request3rdServer/);
  });

  it('reads replies and headers for the replay tool', () => {
    const reply = [
      "12:00:01.187 Trc 04542 Message Event3rdServerFault received from 'DMS_01'",
      '\tAttributeReferenceID\t7',
      '\tAttributeRequest\t[40] 00 01 00 00..',
      "\t\t'FaultCode'\t1010",
      "\t\t'FaultString'\t'_umsClientId is missing'",
    ];
    expect(parseLogMessage(reply, 120)).toEqual({
      message: 'Event3rdServerFault',
      peer: 'DMS_01',
      direction: 'received',
      time: '12:00:01.187',
      style: 'tab',
      referenceId: 7,
      attributes: { Request: { FaultCode: 1010, FaultString: '_umsClientId is missing' } },
    });
    expect(parseLogHeader("12:00:02.000 request to 'DMS' message Request3rdServer")).toMatchObject({ message: 'Request3rdServer', peer: 'DMS', direction: 'sent' });
    expect(parseLogHeader('12:00:02.000 Trc 04541 something else')).toBeUndefined();
  });

  it('the content type picks the form; another type is 415', () => {
    expect(parseEspBody('application/json; charset=utf-8', JSON_EXAMPLE).format).toBe('json');
    expect(parseEspBody('text/xml', XML_EXAMPLE).format).toBe('xml');
    expect(parseEspBody('text/plain', TAB_EXAMPLE).format).toBe('log');
    const problem = faultOf(() => parseEspBody('application/x-www-form-urlencoded', 'a=b'));
    expect([problem.faultCode, problem.httpStatus]).toEqual([1001, 415]);
  });
});
