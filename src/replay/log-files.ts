import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../cli-support/gateway-target.js';

/**
 * The log files named on the command line: files as given, directories searched recursively (in
 * name order, so reports compare run to run). Hidden files are left out.
 */
export async function listLogFiles(paths: readonly string[]): Promise<{ path: string; bytes: number }[]> {
  const files: { path: string; bytes: number }[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (!info) throw new UsageError(`${path}: no such file or directory`);
    if (info.isDirectory()) files.push(...(await filesUnder(path)));
    else files.push({ path, bytes: info.size });
  }
  return files;
}

async function filesUnder(directory: string): Promise<{ path: string; bytes: number }[]> {
  const entries = (await readdir(directory, { withFileTypes: true })).filter((entry) => !entry.name.startsWith('.'));
  entries.sort((a, b) => a.name.localeCompare(b.name));
  const files: { path: string; bytes: number }[] = [];
  for (const entry of entries) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) files.push(...(await filesUnder(path)));
    else if (entry.isFile()) files.push({ path, bytes: (await stat(path)).size });
  }
  return files;
}
