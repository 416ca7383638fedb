import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { fault } from '../esp/faults.js';
import type { CampaignRowData } from './campaign-store.js';

/** CSV column prefixes and the ESP list each fills (domain.md 2.4). */
const LIST_COLUMNS = ['Contact', 'Agent', 'CustomProperties', 'UserData'] as const;

/**
 * The recipients of a CSV campaign, streamed: one row at a time, never the whole file. The header
 * row names the columns; a column that is not `_umsClientId` or `<List>.<Key>` refuses the file.
 */
export async function* csvRows(body: Readable): AsyncGenerator<CampaignRowData> {
  const parser = body.pipe(parse({ bom: true, skip_empty_lines: true, relax_column_count: true, trim: true }));
  let columns: ((row: CampaignRowData, value: string) => void)[] | undefined;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (!columns) {
        columns = record.map(columnSetter);
        continue;
      }
      const row: CampaignRowData = {};
      record.forEach((value, index) => value !== '' && columns![index]?.(row, value));
      yield row;
    }
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith('CSV_')) throw fault('bodyUnreadable', `the CSV file is unreadable: ${(error as Error).message}`);
    throw error;
  }
}

function columnSetter(name: string): (row: CampaignRowData, value: string) => void {
  if (name === '_umsClientId') return (row, value) => (row._umsClientId = value);
  const dot = name.indexOf('.');
  const list = LIST_COLUMNS.find((candidate) => candidate === name.slice(0, dot));
  const key = name.slice(dot + 1);
  if (dot < 0 || !list || key === '') {
    throw fault('bodyUnreadable', `CSV column "${name}" is not _umsClientId, Contact.<Field>, Agent.<Field>, CustomProperties.<Key> or UserData.<Key>`);
  }
  return (row, value) => {
    const entries = (row[list] ??= Object.create(null) as Record<string, string>);
    entries[key] = value;
  };
}

/** A JSON recipient, checked for shape: lists of strings, a string client id. */
export function jsonRow(value: unknown, index: number): CampaignRowData {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fault('bodyUnreadable', `recipients[${index}] is not an object`);
  const row: CampaignRowData = {};
  for (const [key, entry] of Object.entries(value)) {
    if (key === '_umsClientId') {
      if (typeof entry !== 'string') throw fault('malformedParameter', `recipients[${index}]._umsClientId must be a string`);
      row._umsClientId = entry;
    } else if ((LIST_COLUMNS as readonly string[]).includes(key)) {
      row[key as (typeof LIST_COLUMNS)[number]] = stringList(entry, `recipients[${index}].${key}`);
    } else {
      throw fault('bodyUnreadable', `recipients[${index}].${key} is not _umsClientId, Contact, Agent, CustomProperties or UserData`);
    }
  }
  return row;
}

/** An object of string values (numbers and booleans read as strings), as the ESP lists take them. */
export function stringList(value: unknown, where: string): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fault('malformedParameter', `${where} must be an object of strings`);
  const list = Object.create(null) as Record<string, string>;
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry === 'object' && entry !== null) throw fault('malformedParameter', `${where}.${key} must be a string`);
    list[key] = String(entry);
  }
  return list;
}
