import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult, type IConfiguration } from 'dependency-cruiser';
import { afterAll, describe, expect, it } from 'vitest';

// The rules `npm run lint:layers` applies: folders of src/ in one order, lowest first (docs/layout.md).
const config = createRequire(import.meta.url)('../../.dependency-cruiser.cjs') as IConfiguration;
const repository = fileURLToPath(new URL('../..', import.meta.url));

/** The rule violations dependency-cruiser finds in `<baseDir>/src`, as `rule: from → to`. */
async function violations(baseDir: string): Promise<string[]> {
  const { output } = await cruise(['src'], { ...config.options, baseDir, validate: true, ruleSet: { forbidden: config.forbidden } });
  const result = output as ICruiseResult;
  return result.summary.violations.map(({ rule, from, to }) => `${rule.name}: ${from} → ${to}`);
}

describe('layering (issue 16)', () => {
  it('src/ has no folder importing a later one, no root file imported by a folder, no cycle', async () => {
    expect(await violations(repository)).toEqual([]);
  });

  describe('the rules catch what they are for', () => {
    const planted = mkdtempSync(join(tmpdir(), 'ig-layers-'));
    afterAll(() => rmSync(planted, { recursive: true, force: true }));

    function write(path: string, text: string): void {
      mkdirSync(dirname(join(planted, path)), { recursive: true });
      writeFileSync(join(planted, path), text);
    }

    // A small tree in the project's shape, each file breaking one rule.
    write('src/esp/faults.ts', "import { route } from '../http/app.js';\nexport const fault = route;\n");
    write('src/http/app.ts', "export const route = 1;\n");
    write('src/cli/label-table.ts', "import { main } from '../main.js';\nexport const table = main;\n");
    write('src/main.ts', "export const main = 1;\n");
    write('src/connectors/connector.ts', "import { queue } from '../delivery/queue.js';\nexport const connector = () => queue;\n");
    write('src/delivery/queue.ts', "import { connector } from '../connectors/connector.js';\nexport const queue = () => connector;\n");
    write('src/sessions/a.ts', "import { b } from './b.js';\nexport const a = () => b;\n");
    write('src/sessions/b.ts', "import { a } from './a.js';\nexport const b = () => a;\n");
    write('src/newfolder/thing.ts', "import { fault } from '../esp/faults.js';\nexport const thing = fault;\n");

    it('reports each planted violation, by rule', async () => {
      const found = await violations(planted);
      expect(found.sort()).toEqual([
        // A folder importing a later one, and a folder importing a root file.
        'cli-imports-only-lower: src/cli/label-table.ts → src/main.ts',
        // Two folders importing each other: the lower one's import is the wrong way, and it is a cycle.
        'connectors-imports-only-lower: src/connectors/connector.ts → src/delivery/queue.ts',
        'esp-imports-only-lower: src/esp/faults.ts → src/http/app.ts',
        'no-circular: src/connectors/connector.ts → src/delivery/queue.ts',
        // A cycle inside one folder (reported once, from the file found first).
        'no-circular: src/sessions/a.ts → src/sessions/b.ts',
        // A folder that has no place in the order yet.
        'not-in-the-layer-order: src/newfolder/thing.ts → src/esp/faults.ts',
      ]);
    });
  });
});
