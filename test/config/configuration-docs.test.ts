import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { cliEnvironmentSchema, environmentSchema } from '../../src/config/environment.js';
import { configSchema } from '../../src/config/schema.js';

/**
 * docs/configuration.md is the operator's reference: every setting the schema takes is in its
 * tables, with the schema's default, and the tables name nothing the schema does not take.
 */
const docs = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  default?: unknown;
  const?: unknown;
}

interface Setting {
  key: string;
  /** Where the docs table lists it: `limits.bodyBytes`, or `baseUrl` under the `sinch` connector. */
  table: string;
  required: boolean;
  default?: unknown;
}

/** The docs' short names: channels and enrichment are documented in their own tables. */
function documentedName(path: string): string {
  return path.replace(/^tenants\[\]\.channels\[\]/, 'channels[]').replace(/^channels\[\]\.enrichment\./, 'enrichment.');
}

/**
 * Every setting the schema takes (leaves, and objects given as free-form maps), with its default;
 * `required` within the object that holds it, as the docs tables say it.
 */
function settings(schema: JsonSchema, path: string, required: boolean, table = 'file'): Setting[] {
  if (schema.type === 'array' && schema.items?.properties) return settings(schema.items, `${path}[]`, required, table);
  if (schema.oneOf && path.endsWith('.connector')) {
    return schema.oneOf.flatMap((variant) => {
      const kind = String(variant.properties!.kind!.const);
      return Object.entries(variant.properties!)
        .filter(([name]) => name !== 'kind')
        .map(([name, property]) => ({ key: name, table: `connector ${kind}`, required: variant.required?.includes(name) ?? false, default: property.default }));
    });
  }
  if (schema.type === 'object' && schema.properties) {
    return Object.entries(schema.properties).flatMap(([name, property]) =>
      settings(property, path ? `${path}.${name}` : name, schema.required?.includes(name) ?? false, table),
    );
  }
  return [{ key: documentedName(path), table, required, default: schema.default }];
}

/** `| \`key\` | … | default | … |` rows, by table: connector tables follow a `**\`kind\`**` line. */
function documentedRows(): Map<string, string> {
  const rows = new Map<string, string>();
  let connector = '';
  for (const line of docs.split('\n')) {
    const kind = /^\*\*`([a-z-]+)`\*\*/.exec(line);
    if (kind) connector = kind[1]!;
    if (line.startsWith('## ') && !line.startsWith('## Connectors')) connector = '';
    const row = /^\| `([^`]+)` \|(.*)\|$/.exec(line);
    if (!row) continue;
    const cells = row[2]!.split(' | ').map((cell) => cell.trim());
    const key = connector && !row[1]!.includes('.') && !row[1]!.includes('[') && !/^[A-Z_]+$/.test(row[1]!) ? `connector ${connector} ${row[1]}` : row[1]!;
    // Environment rows have no type column: variable | default | meaning.
    rows.set(key, /^[A-Z_]+$/.test(row[1]!) ? cells[0]! : cells[1]!);
  }
  return rows;
}

const rowKey = (setting: Setting) => (setting.table === 'file' ? setting.key : `${setting.table} ${setting.key}`);

/** A default as the docs write it: `false`, 300, 262144 (256 KiB), `STOP`, `STOPALL`, …, `[]`. */
function expectDefaultDocumented(cell: string, value: unknown, where: string): void {
  const plain = cell.replace(/`/g, '');
  if (Array.isArray(value)) {
    if (value.length === 0) expect(plain, where).toBe('[]');
    for (const item of value) expect(plain.split(/,\s*/), where).toContain(String(item));
  } else if (typeof value === 'number') {
    expect(plain.replace(/,/g, ''), where).toMatch(new RegExp(`^${value}(\\b|$)`));
  } else if (typeof value === 'string' && value.startsWith(REPO_ROOT)) {
    // A path inside the checkout, written relative to it.
    expect(plain.replace(/\/$/, ''), where).toBe(value.slice(REPO_ROOT.length));
  } else {
    expect(plain, where).toMatch(new RegExp(`^${String(value).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(\\b|$)`));
  }
}

describe('docs/configuration.md against the configuration schema', () => {
  const file = settings(z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema, '', true);
  const environment = [environmentSchema, cliEnvironmentSchema].flatMap((schema) => settings(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema, '', true));
  const rows = documentedRows();

  it('documents every setting of the file and the environment, with the default the schema applies', () => {
    for (const setting of [...file, ...environment]) {
      const where = `${rowKey(setting)} in docs/configuration.md`;
      const cell = rows.get(rowKey(setting));
      expect(cell, `${where}: no row`).toBeDefined();
      if (setting.default !== undefined) expectDefaultDocumented(cell!, setting.default, where);
      else if (setting.required) expect(cell, where).toMatch(/^required/);
      else expect(cell, `${where}: optional in the schema`).not.toMatch(/^required$/);
    }
  });

  it('documents nothing the schema does not take', () => {
    const known = new Set([...file, ...environment].map(rowKey));
    // Rows that name a group (a list or an object) rather than one setting.
    const groups = [...file].flatMap((setting) => setting.key.split('.').slice(0, -1).map((_, index, parts) => parts.slice(0, index + 1).join('.')));
    for (const key of rows.keys()) {
      const group = key.replace(/\[\]$/, '');
      const isGroup = groups.some((prefix) => prefix === group || prefix === `${group}[]` || prefix.replace(/\[\]$/, '') === group) || ['tenants[]', 'tenants[].channels[]', 'channels[].connector', 'channels[].enrichment'].includes(key);
      const isChannelType = ['whatsapp', 'apple', 'sms'].includes(key);
      expect(known.has(key) || isGroup || isChannelType, `docs/configuration.md documents ${key}, which the schema does not take`).toBe(true);
    }
  });
});
