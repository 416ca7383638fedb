import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { scratchDirectory } from '../support/scratch.js';
import { startProcess } from '../support/start-process.js';

const STACK_LINE = /^\s+at /m;

describe('configuration errors at start', () => {
  const directory = scratchDirectory('config-errors');

  it('a bad LOG_LEVEL stops the start with readable lines on stderr naming it, one fatal JSON log line, no stack', async () => {
    const gateway = startProcess({ LOG_LEVEL: 'loud', PORT: '0', REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: uniquePrefix('log-level') });
    expect(await gateway.exited).toBe(1);
    expect(gateway.stderr()).toMatch(/^invite-gateway cannot start: invalid environment:\n {2}- LOG_LEVEL: .*"info"/m);
    expect(gateway.stderr()).not.toMatch(STACK_LINE);
    const fatal = gateway.stdout().trim().split('\n').map((line) => JSON.parse(line) as { level: number; msg: string });
    expect(fatal).toEqual([expect.objectContaining({ level: 60, msg: expect.stringContaining('LOG_LEVEL') })]);
  }, 60_000);

  it('a wrong configuration file prints one readable line per problem on stderr, and still logs them', async () => {
    const configPath = join(directory, 'gateway.json');
    writeFileSync(configPath, JSON.stringify({ tenants: [{ id: 1, apiKeys: ['k'], channels: [], colour: 'red' }], limits: { bodyBytes: -1 } }));
    const gateway = startProcess({ GATEWAY_CONFIG: configPath, PORT: '0', REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: uniquePrefix('bad-config'), LOG_LEVEL: 'info' });
    expect(await gateway.exited).toBe(1);
    const lines = gateway.stderr().split('\n');
    expect(lines[0]).toBe(`invite-gateway cannot start: invalid configuration ${configPath}:`);
    expect(lines).toEqual(expect.arrayContaining(['  - tenants.0: unknown key "colour"', expect.stringMatching(/^ {2}- tenants\.0\.channels: /), expect.stringMatching(/^ {2}- limits\.bodyBytes: /)]));
    expect(gateway.stderr()).not.toMatch(STACK_LINE);
    expect(gateway.stdout()).toContain('"level":60');
    expect(gateway.stdout()).toContain('unknown key \\"colour\\"');
  }, 60_000);
});
