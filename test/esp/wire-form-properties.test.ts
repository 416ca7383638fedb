import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EspFault } from '../../src/esp/faults.js';
import { newKvList, type KvList, type KvValue } from '../../src/esp/kvlist.js';
import type { EspRequest } from '../../src/esp/model.js';
import { parseEspBody } from '../../src/esp/reply.js';
import { encodeJson, encodeTabLog, encodeTypedLog, encodeXml } from '../support/esp-encoders.js';
import { invitesFor } from '../support/esp-examples.js';

const CONTENT_TYPES = { json: 'application/json', xml: 'application/xml', log: 'text/plain' } as const;
type Form = keyof typeof CONTENT_TYPES;

/** Reads a body; an EspFault is a fine answer, any other throw (a 1099 over HTTP) fails the property. */
function readsOrFaults(form: Form, body: string): void {
  try {
    parseEspBody(CONTENT_TYPES[form], body);
  } catch (error) {
    if (!(error instanceof EspFault)) throw error;
    expect(error.faultCode).toBe(1001);
  }
}

const form = fc.constantFrom<Form>('json', 'xml', 'log');
const validBodies = invitesFor('+15551230001').map(({ contentType, body }) => ({ form: (contentType === 'application/json' ? 'json' : contentType === 'text/plain' ? 'log' : 'xml') as Form, body }));

/** A valid body with a few cuts, insertions and repeats, read as its own form. */
const mutatedBody = fc
  .record({
    valid: fc.constantFrom(...validBodies),
    edits: fc.array(fc.tuple(fc.constantFrom('cut', 'insert', 'repeat'), fc.nat(), fc.nat({ max: 40 }), fc.string({ maxLength: 12 })), { minLength: 1, maxLength: 4 }),
  })
  .map(({ valid, edits }) => {
    let body = valid.body;
    for (const [edit, at, length, text] of edits) {
      const start = at % (body.length + 1);
      if (edit === 'cut') body = body.slice(0, start) + body.slice(start + length);
      else if (edit === 'insert') body = body.slice(0, start) + text + body.slice(start);
      else body = body.slice(0, start + length) + body.slice(start, start + length) + body.slice(start + length);
    }
    return { form: valid.form, body };
  });

/** Openers of a list in each form, to nest far past the limit (and past what a stack holds). */
const deepBody = fc.record({ form, depth: fc.integer({ min: 30, max: 6_000 }), closed: fc.boolean() }).map(({ form, depth, closed }) => {
  if (form === 'json') return { form, body: `{"Request":${'{"k":'.repeat(depth)}"v"${closed ? '}'.repeat(depth + 1) : ''}` };
  if (form === 'xml') {
    const open = '<kvitem><key>k</key><value><ValueList>';
    return { form, body: `<Request3rdServer><Request>${open.repeat(depth)}${closed ? '</ValueList></value></kvitem>'.repeat(depth) : ''}</Request></Request3rdServer>` };
  }
  // One line chaining openers, or one opener a line, each a tab deeper (the text grows as depth², so less deep).
  const chained = closed ? `\t\t${"'k'(list)".repeat(depth)}'v'\t'x'` : Array.from({ length: depth % 1_000 }, (_, level) => `${'\t'.repeat(level + 2)}'k'(list)`).join('\n');
  return { form, body: `\tAttributeRequest\t[1] 00\n${chained}` };
});

describe('every reader answers a request or fault 1001, never another error', () => {
  it('for any text, in any form', () => {
    fc.assert(
      fc.property(form, fc.string({ unit: 'binary', maxLength: 300 }), (readAs, body) => readsOrFaults(readAs, body)),
      { numRuns: 300 },
    );
  });

  it('for valid bodies cut, extended and repeated at random', () => {
    fc.assert(
      fc.property(mutatedBody, ({ form: readAs, body }) => readsOrFaults(readAs, body)),
      { numRuns: 400 },
    );
  });

  it('for lists nested thousands deep', () => {
    fc.assert(
      fc.property(deepBody, ({ form: readAs, body }) => readsOrFaults(readAs, body)),
      { numRuns: 40 },
    );
  });
});

// What every form can carry: XML 1.0 characters but CR, no line breaks (log text), keys without a
// single quote (it closes a log key) and without an IRD prefix (dropped, tested on its own).
// Characters the forms treat specially come often: quotes, markup, whitespace and line separators
// outside ASCII, IRD-like braces, astral characters.
const tricky = fc.constantFrom('\t', ' ', '\u00a0', '\u2028', '\u2029', '\u0085', '\ufeff', '"', "'", '<', '>', '&', ']]>', '(list)', '[str] =', '\\', '\u{1F600}', 'é');
const text = fc
  .array(fc.oneof(fc.string({ unit: 'binary', maxLength: 4 }), tricky), { maxLength: 4 })
  .map((parts) => parts.join(''))
  .filter((value) => !/[\u0000-\u0008\u000A-\u001F\uFFFE\uFFFF]/.test(value));
const key = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom('Request', 'request', 'UserData', 'user_data', 'ReferenceId', 'ReferenceID', 'attr_ref_id', '__proto__', 'constructor', 'AttributeRequest', ')', '') },
  { weight: 6, arbitrary: text.filter((value) => !value.includes("'") && !/^\{[sil]\}/.test(value)) },
);
const scalar = fc.oneof(text, fc.integer({ min: -(10 ** 15) + 1, max: 10 ** 15 - 1 }));

const { list } = fc.letrec<{ list: Record<string, unknown>; value: unknown }>((tie) => ({
  list: fc.dictionary(key, tie('value'), { maxKeys: 4, depthIdentifier: 'list' }),
  value: fc.oneof({ depthSize: 'small', depthIdentifier: 'list' }, scalar, scalar, tie('list')),
}));

function toKvList(value: Record<string, unknown>): KvList {
  const kvList = newKvList();
  for (const entryKey of Object.keys(value)) {
    const entry = value[entryKey];
    kvList[entryKey] = typeof entry === 'object' ? toKvList(entry as Record<string, unknown>) : (entry as KvValue);
  }
  return kvList;
}

/** An InviteToChat with random parameters, Contact and CustomProperties lists, UserData and ReferenceId. */
const espRequest: fc.Arbitrary<EspRequest> = fc
  .record({
    referenceId: fc.option(fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }), { nil: undefined }),
    parameters: list,
    contact: fc.option(list, { nil: undefined }),
    customProperties: fc.option(list, { nil: undefined }),
    extra: list,
    userData: fc.option(list, { nil: undefined }),
  })
  .map(({ referenceId, parameters, contact, customProperties, extra, userData }) => {
    const request = toKvList({ AppName: 'IVR_Main', Service: 'ChatService', Method: 'InviteToChat', ...extra });
    const parameterList = toKvList(parameters);
    if (contact) parameterList.Contact = toKvList(contact);
    if (customProperties) parameterList.CustomProperties = toKvList(customProperties);
    request.Parameters = parameterList;
    return { referenceId, request, userData: userData && toKvList(userData) };
  });

describe('the same request in JSON, XML, tab log and typed log', () => {
  it('reads to the same EspRequest in every form', () => {
    fc.assert(
      fc.property(espRequest, fc.boolean(), (request, firstChildOnOpener) => {
        expect(parseEspBody(CONTENT_TYPES.json, encodeJson(request)).request, 'JSON').toEqual(request);
        expect(parseEspBody(CONTENT_TYPES.xml, encodeXml(request)).request, 'XML').toEqual(request);
        expect(parseEspBody(CONTENT_TYPES.log, encodeTabLog(request, { firstChildOnOpener })).request, 'tab log').toEqual(request);
        expect(parseEspBody(CONTENT_TYPES.log, encodeTypedLog(request)).request, 'typed log').toEqual(request);
      }),
      { numRuns: 300 },
    );
  });
});
