import { Transform, type Readable } from 'node:stream';
import { parse, type Info } from 'csv-parse';
import type { GatewayConfig } from '../config/schema.js';
import { fault, type EspFault } from '../esp/faults.js';
import { newKvList, type KvList, type KvValue } from '../esp/kvlist.js';
import type { CampaignRowData } from './campaign-store.js';

/** CSV column prefixes and the ESP list each fills (docs/protocol.md#campaigns). */
const LIST_COLUMNS = ['Contact', 'Agent', 'CustomProperties', 'UserData'] as const;
type ListColumn = (typeof LIST_COLUMNS)[number];

/** The upload limits of `limits` in the configuration (see src/config/schema.ts for units and defaults). */
export type CampaignInputLimits = Pick<GatewayConfig['limits'], 'campaignJsonBytes' | 'campaignCsvBytes' | 'csvFieldBytes' | 'csvLineBytes' | 'campaignRows' | 'maxNestingDepth'>;

/**
 * Faults quote at most this many characters of what was wrong, and only names (keys, column
 * names), never values: values are customer data.
 */
const EXCERPT_CHARS = 40;

// ---------------------------------------------------------------------------------------------
// CSV

/**
 * The recipients of a CSV campaign, streamed: one row at a time, never the whole file. The header
 * row names the columns; a column that is not `_umsClientId` or `<List>.<Key>` refuses the file.
 * Every refusal is fault 1001 naming the line and column (or the limit) and quoting no value; the
 * limits stop a hostile file after reading at most `csvLineBytes` of one line or `campaignCsvBytes`.
 */
export async function* csvRows(body: Readable, limits: CampaignInputLimits, onColumns?: (names: string[]) => void): AsyncGenerator<CampaignRowData> {
  const parser = parse({ bom: true, skip_empty_lines: true, relax_column_count: true, trim: true, info: true, max_record_size: limits.csvLineBytes });
  const counter = byteLimit(limits.campaignCsvBytes);
  // A client that goes away mid-upload is a cut-off body (1001), not a gateway error to log; the
  // counter's error is already the fault to answer. Either ends the parser's iteration.
  body.on('error', () => parser.destroy(fault('bodyUnreadable', 'the CSV body was cut off before its end')));
  counter.on('error', (error) => parser.destroy(error));
  body.pipe(counter).pipe(parser);
  let columns: ColumnSetter[] | undefined;
  let rows = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: Info }>) {
      if (!columns) {
        columns = record.map((name, index) => columnSetter(name, info.lines, index + 1));
        onColumns?.(record);
        continue;
      }
      if (++rows > limits.campaignRows) throw tooManyRows(limits, `CSV line ${info.lines}: `);
      yield csvRow(record, columns, info.lines, limits);
    }
  } catch (error) {
    throw csvFault(error, limits);
  } finally {
    body.unpipe(counter);
    counter.unpipe(parser);
    parser.destroy();
  }
}

type ColumnSetter = (row: CampaignRowData, value: string) => void;

function columnSetter(name: string, line: number, column: number): ColumnSetter {
  if (name === '_umsClientId') return (row, value) => (row._umsClientId = value);
  const dot = name.indexOf('.');
  const list = LIST_COLUMNS.find((candidate) => candidate === name.slice(0, dot));
  const key = name.slice(dot + 1);
  if (dot < 0 || !list || key === '') {
    throw fault('bodyUnreadable', `CSV line ${line} column ${column}: column ${nameExcerpt(name)} is not _umsClientId, Contact.<Field>, Agent.<Field>, CustomProperties.<Key> or UserData.<Key>`);
  }
  return (row, value) => {
    const entries = (row[list] ??= Object.create(null) as Record<string, string>);
    entries[key] = value;
  };
}

function csvRow(record: string[], columns: ColumnSetter[], line: number, limits: CampaignInputLimits): CampaignRowData {
  // A value past the last column belongs to no column: the row is shifted or the header is short,
  // and sending it would drop data in silence. Empty cells there (a trailing comma) lose nothing.
  const beyond = record.findIndex((value, index) => index >= columns.length && value !== '');
  if (beyond >= 0) {
    throw fault('bodyUnreadable', `CSV line ${line} column ${beyond + 1}: the row has ${record.length} cells but the header names ${columns.length} columns`);
  }
  const row: CampaignRowData = {};
  record.forEach((value, index) => {
    if (value === '') return;
    if (isLongerThan(value, limits.csvFieldBytes)) {
      throw fault('bodyUnreadable', `CSV line ${line} column ${index + 1}: the value is longer than ${limits.csvFieldBytes} bytes (limits.csvFieldBytes)`);
    }
    columns[index]?.(row, value);
  });
  return row;
}

function isLongerThan(value: string, bytes: number): boolean {
  // UTF-8 takes at most 3 bytes per UTF-16 unit: most values need no count.
  return value.length * 3 > bytes && Buffer.byteLength(value) > bytes;
}

/** csv-parse's error codes, in words; its own messages quote the field, so they are never used. */
const CSV_PROBLEMS: Record<string, string> = {
  INVALID_OPENING_QUOTE: 'a quote inside an unquoted field',
  CSV_INVALID_CLOSING_QUOTE: 'a closing quote followed by other characters',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'characters after a closing quote',
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is not closed',
};

function csvFault(error: unknown, limits: CampaignInputLimits): unknown {
  const { code, lines, column } = error as { code?: unknown; lines?: unknown; column?: unknown };
  if (typeof code !== 'string' || typeof lines !== 'number') return error; // an EspFault already, or the request failed
  const where = `CSV line ${lines}` + (typeof column === 'number' ? ` column ${column + 1}` : '');
  const problem = code === 'CSV_MAX_RECORD_SIZE' ? `the line is longer than ${limits.csvLineBytes} bytes (limits.csvLineBytes)` : (CSV_PROBLEMS[code] ?? 'the CSV is malformed');
  return fault('bodyUnreadable', `${where}: ${problem}`);
}

/** Passes the body on until it grows past `limit` bytes, then fails with 1001/413. */
function byteLimit(limit: number): Transform {
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > limit) return done(fault('bodyUnreadable', `the CSV body is larger than ${limit} bytes (limits.campaignCsvBytes)`, { httpStatus: 413 }));
      done(null, chunk);
    },
  });
}

function tooManyRows(limits: Pick<CampaignInputLimits, 'campaignRows'>, where = ''): EspFault {
  return fault('bodyUnreadable', `${where}the campaign has more than ${limits.campaignRows} recipients (limits.campaignRows)`, { httpStatus: 413 });
}

// ---------------------------------------------------------------------------------------------
// JSON

/** A JSON campaign body, checked for shape: what the upload stores. */
export interface JsonCampaign {
  name: string;
  /** The shared InviteToChat parameters: strings, integers and nested lists only. */
  parameters: KvList;
  userData: Record<string, string>;
  rows: CampaignRowData[];
}

/**
 * Reads any parsed JSON value as a campaign, or throws fault 1001 naming the key that is wrong
 * (`recipients[3]._umsClientId must be a string`). Values follow the ESP's JSON form: integers
 * read as their decimal string where a string belongs, booleans as "true"/"false"; null, arrays,
 * fractions and objects where a string belongs are refused.
 */
export function readJsonCampaign(body: unknown, limits: Pick<CampaignInputLimits, 'campaignRows'>): JsonCampaign {
  if (!isObject(body)) throw shapeFault(`the body must be a JSON object with name, parameters and recipients, not ${kindOf(body)}`);
  const { name, parameters, UserData, recipients, ...rest } = body;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw shapeFault(`${nameExcerpt(unknown)} is not a campaign field (name, parameters, UserData, recipients)`);
  if (name !== undefined && typeof name !== 'string') throw shapeFault(`name must be a string, not ${kindOf(name)}`);
  if (!Array.isArray(recipients)) throw shapeFault(`recipients must be an array, not ${kindOf(recipients)}`);
  if (recipients.length > limits.campaignRows) throw tooManyRows(limits);
  return {
    name: name ?? '',
    parameters: espList(parameters, 'parameters'),
    userData: UserData === undefined ? {} : stringList(UserData, 'UserData'),
    rows: recipients.map((recipient, index) => jsonRow(recipient, index)),
  };
}

/** A JSON recipient, checked for shape: lists of strings, a string client id. */
export function jsonRow(value: unknown, index: number): CampaignRowData {
  const where = `recipients[${index}]`;
  if (!isObject(value)) throw shapeFault(`${where} must be an object, not ${kindOf(value)}`);
  const row: CampaignRowData = {};
  for (const [key, entry] of Object.entries(value)) {
    if (key === '_umsClientId') {
      if (typeof entry !== 'string') throw shapeFault(`${where}._umsClientId must be a string, not ${kindOf(entry)}`);
      row._umsClientId = entry;
    } else if ((LIST_COLUMNS as readonly string[]).includes(key)) {
      row[key as ListColumn] = stringList(entry, `${where}.${key}`);
    } else {
      throw shapeFault(`${where}.${keyInPath(key)} is not _umsClientId, Contact, Agent, CustomProperties or UserData`);
    }
  }
  return row;
}

/** An object of string values (integers and booleans read as strings), as the ESP lists take them. */
export function stringList(value: unknown, where: string): Record<string, string> {
  if (!isObject(value)) throw shapeFault(`${where} must be an object of strings, not ${kindOf(value)}`);
  const list = Object.create(null) as Record<string, string>;
  for (const [key, entry] of Object.entries(value)) {
    const scalar = scalarString(entry);
    if (scalar === undefined) throw shapeFault(`${where}.${keyInPath(key)} must be a string, not ${kindOf(entry)}`);
    list[key] = scalar;
  }
  return list;
}

/** The shared parameters as an ESP list: nested objects are lists, every leaf a string or an integer. */
function espList(value: unknown, where: string): KvList {
  if (!isObject(value)) throw shapeFault(`${where} must be an object, not ${kindOf(value)}`);
  const list = newKvList();
  for (const [key, entry] of Object.entries(value)) list[key] = espValue(entry, `${where}.${keyInPath(key)}`);
  return list;
}

function espValue(value: unknown, where: string): KvValue {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (isObject(value)) return espList(value, where);
  const scalar = scalarString(value);
  if (scalar === undefined) throw shapeFault(`${where} must be a string, an integer or an object, not ${kindOf(value)}`);
  return scalar;
}

function scalarString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The kind of a JSON value, for faults: never the value itself. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isSafeInteger(value) ? 'an integer' : Number.isInteger(value) ? 'an integer out of range' : 'a fraction';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

function shapeFault(problem: string): EspFault {
  return fault('bodyUnreadable', problem);
}

/**
 * A key or column name as faults show it: quoted when short and plainly a name; otherwise only its
 * length, since a long or number-like "name" is likely data put in the wrong place.
 */
export function nameExcerpt(name: string): string {
  const plain = name.length <= EXCERPT_CHARS && !/[\u0000-\u001f\u007f-\u009f]|\d{5}/.test(name);
  return plain ? JSON.stringify(name) : `a name of ${name.length} characters`;
}

/** A key as one step of a path in a fault: bare when it looks like an identifier (`Contact.FirstName`). */
function keyInPath(key: string): string {
  const excerpt = nameExcerpt(key);
  return /^[A-Za-z_][\w-]*$/.test(key) && excerpt.startsWith('"') ? key : excerpt;
}
