import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FAULTS } from '../../src/esp/faults.js';

describe('the fault table of docs/ivr-engineer.md (linked from the README)', () => {
  it('lists exactly the codes and HTTP statuses the gateway answers with', () => {
    const guide = readFileSync(new URL('../../docs/ivr-engineer.md', import.meta.url), 'utf8');
    const rows = [...guide.matchAll(/^\| (1\d{3}) \| (\d{3}) \|/gm)].map((match) => [Number(match[1]), Number(match[2])]);
    expect(rows).toEqual(Object.values(FAULTS).map((row) => [row.code, row.http]));
  });
});
