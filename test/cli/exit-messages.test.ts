import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBin } from '../support/bin.js';
import { scratchDirectory } from '../support/scratch.js';
import { freePort } from '../support/start-process.js';

/**
 * A tool that cannot go on exits 2 with one sentence ending in the error's stable code, which a script wrapping
 * it can match on (issue 16.7). The campaign command's cases are in campaign-command.test.ts.
 */
describe('replay exit messages', () => {
  const directory = scratchDirectory('exit-messages');

  it('a command line it cannot run with: the sentence, [CLI.USAGE], then the usage', async () => {
    const result = await runBin(['replay', '--no-such-flag']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^replay: .*'--no-such-flag'.* \[CLI\.USAGE\]\n\nusage: /);
  });

  it('a gateway that cannot be reached: the sentence naming it and the cause, then [CLI.TARGET_UNUSABLE]', async () => {
    const log = join(directory, 'one.log');
    writeFileSync(log, 'nothing logged\n');
    const port = await freePort();
    const result = await runBin(['replay', log, '--target', `http://127.0.0.1:${port}`, '--api-key', 'k']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`replay: cannot reach http://127.0.0.1:${port}: ECONNREFUSED [CLI.TARGET_UNUSABLE]\n`);
  });
});
