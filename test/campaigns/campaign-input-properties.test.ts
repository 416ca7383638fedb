import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvRows, readJsonCampaign, type CampaignInputLimits } from '../../src/campaigns/campaign-rows.js';
import { EspFault } from '../../src/esp/faults.js';
import { findJsonProblem } from '../../src/http/json-text.js';

const LIMITS: CampaignInputLimits = { campaignJsonBytes: 1_000_000, campaignCsvBytes: 1_000_000, csvFieldBytes: 64, csvLineBytes: 256, campaignRows: 20, maxNestingDepth: 32 };

async function readCsv(body: Buffer): Promise<unknown[]> {
  const rows: unknown[] = [];
  for await (const row of csvRows(Readable.from([body]), LIMITS)) rows.push(row);
  return rows;
}

/** Text that looks enough like a campaign CSV to get past the header now and then. */
const csvLike = fc
  .array(fc.oneof(fc.constantFrom('_umsClientId', 'Contact.FirstName', 'UserData.X', ',', '\n', '\r\n', '"', '""', ' ', '+15551230001', 'x'.repeat(70)), fc.string({ maxLength: 5 })), { maxLength: 60 })
  .map((parts) => parts.join(''));

describe('the CSV reader', () => {
  it('turns any bytes into rows or a 1001 naming the line (or the limit), never another error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(csvLike.map((text) => Buffer.from(text)), fc.string().map((text) => Buffer.from(text)), fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes))), async (body) => {
        try {
          const rows = await readCsv(body);
          expect(rows.length).toBeLessThanOrEqual(LIMITS.campaignRows);
        } catch (error) {
          expect(error).toBeInstanceOf(EspFault);
          const fault = error as EspFault;
          expect(fault.faultCode).toBe(1001);
          expect(fault.message).toMatch(/^CSV line \d+( column \d+)?: /);
          expect(fault.message.length).toBeLessThan(200);
        }
      }),
      { numRuns: 300, seed: 12 },
    );
  });
});

/** Values a campaign body holds, right and wrong, in the places it holds them. */
const anyValue = fc.jsonValue({ maxDepth: 3 });
const recipient = fc.dictionary(fc.constantFrom('_umsClientId', 'Contact', 'Agent', 'CustomProperties', 'UserData', 'Phone'), fc.oneof(anyValue, fc.dictionary(fc.string({ maxLength: 8 }), anyValue, { maxKeys: 3 })), { maxKeys: 4 });
const nearlyCampaign = fc.record(
  {
    name: anyValue,
    parameters: fc.oneof(anyValue, fc.dictionary(fc.string({ maxLength: 12 }), anyValue, { maxKeys: 5 })),
    UserData: fc.oneof(anyValue, fc.dictionary(fc.string({ maxLength: 8 }), anyValue, { maxKeys: 3 })),
    recipients: fc.oneof(anyValue, fc.array(fc.oneof(recipient, anyValue), { maxLength: 25 })),
  },
  { requiredKeys: [] },
);

describe('the JSON campaign body', () => {
  it('is, for any JSON value, a campaign of strings and lists or a 1001 naming what is wrong', () => {
    fc.assert(
      fc.property(fc.oneof(anyValue, nearlyCampaign), (body) => {
        let campaign;
        try {
          campaign = readJsonCampaign(body, LIMITS);
        } catch (error) {
          expect(error).toBeInstanceOf(EspFault);
          expect((error as EspFault).faultCode).toBe(1001);
          expect((error as EspFault).message.length).toBeLessThan(200);
          return;
        }
        expect(typeof campaign.name).toBe('string');
        expectEspList(campaign.parameters);
        for (const value of Object.values(campaign.userData)) expect(typeof value).toBe('string');
        expect(campaign.rows.length).toBeLessThanOrEqual(LIMITS.campaignRows);
        for (const row of campaign.rows) {
          if (row._umsClientId !== undefined) expect(typeof row._umsClientId).toBe('string');
          for (const list of [row.Contact, row.Agent, row.CustomProperties, row.UserData]) {
            for (const value of Object.values(list ?? {})) expect(typeof value).toBe('string');
          }
        }
      }),
      { numRuns: 1_000, seed: 12 },
    );
  });
});

function expectEspList(list: unknown): void {
  expect(typeof list === 'object' && list !== null && !Array.isArray(list)).toBe(true);
  for (const value of Object.values(list as object)) {
    if (typeof value === 'object') expectEspList(value);
    else expect(typeof value === 'string' || Number.isSafeInteger(value)).toBe(true);
  }
}

describe('the JSON text check', () => {
  it('agrees with JSON.parse on any text, and places every error on a line and column of it', () => {
    const jsonish = fc.array(fc.oneof(fc.constantFrom('{', '}', '[', ']', ',', ':', '"', '\\', '"a"', '1', '-', '.5', 'e3', 'true', 'nul', ' ', '\n', '\\u12'), fc.string({ maxLength: 3 })), { maxLength: 30 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.json(), jsonish, fc.string()), (text) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        const problem = findJsonProblem(text, Number.POSITIVE_INFINITY);
        expect(problem === undefined).toBe(valid);
        if (problem) {
          const lines = text.split('\n');
          expect(problem.line).toBeGreaterThanOrEqual(1);
          expect(problem.line).toBeLessThanOrEqual(lines.length);
          expect(problem.column).toBeLessThanOrEqual(lines[problem.line - 1]!.length + 1);
        }
      }),
      { numRuns: 2_000, seed: 12 },
    );
  });

  it('refuses nesting one level past the limit, and only that', () => {
    const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
    expect(findJsonProblem(nested(32))).toBeUndefined();
    expect(findJsonProblem(nested(33))).toMatchObject({ kind: 'depth', line: 1, column: 33 });
  });
});

describe('the CSV reader on one huge line', () => {
  it('stops reading within a chunk or two after csvLineBytes, whatever the line length', async () => {
    let pulled = 0;
    const chunk = Buffer.alloc(16_384, 'a');
    async function* sixMegabyteLine() {
      yield Buffer.from('_umsClientId,Contact.');
      for (let i = 0; i < 384; i++) {
        pulled += chunk.length;
        yield chunk;
      }
    }
    await expect(readCsvFrom(Readable.from(sixMegabyteLine()))).rejects.toThrow('CSV line 1 column 2: the line is longer than 256 bytes (limits.csvLineBytes)');
    expect(pulled).toBeLessThanOrEqual(4 * chunk.length);
  });
});

async function readCsvFrom(body: Readable): Promise<number> {
  let rows = 0;
  for await (const _row of csvRows(body, LIMITS)) rows++;
  return rows;
}

describe('the CSV reader when the client goes away', () => {
  it('answers a cut-off body as 1001 instead of passing the socket error on', async () => {
    const body = new Readable({ read() {} });
    body.push('_umsClientId\n+15551230001\n');
    setImmediate(() => body.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })));
    await expect(readCsvFrom(body)).rejects.toMatchObject({ faultCode: 1001, message: 'the CSV body was cut off before its end' });
  });
});
