import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** A temporary directory of this test file, removed when the file's tests end. Call it at module or describe level. */
export function scratchDirectory(label: string): string {
  const directory = mkdtempSync(join(tmpdir(), `ig-${label}-`));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  return directory;
}
