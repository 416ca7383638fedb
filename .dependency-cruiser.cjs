/**
 * The layering check (issue 16, docs/layout.md): `npm run lint:layers`, and test/architecture/layers.test.ts in
 * `npm test`. The folders of src/, lowest first; each may import only folders before it, so no two folders can
 * import each other. The root files come last: no folder imports them.
 */
const LAYERS = [
  'esp',
  'redis',
  'outbound',
  'config',
  'templates',
  'sessions',
  'connectors',
  'delivery',
  'enrichment',
  'invite',
  'conversations',
  'campaigns',
  'http',
  'cli-support',
  'replay',
  'cli',
];
const ROOT_FILES = ['gateway.ts', 'main.ts', 'cli.ts'];

const escaped = (name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const anyOf = (names) => names.map(escaped).join('|');

const folderRules = LAYERS.map((layer, index) => {
  const later = LAYERS.slice(index + 1);
  return {
    name: `${layer}-imports-only-lower`,
    comment: `src/${layer} may import only the folders before it: ${LAYERS.slice(0, index).join(', ') || 'none'}.`,
    severity: 'error',
    from: { path: `^src/${escaped(layer)}/` },
    to: { path: later.length > 0 ? `^src/(${anyOf(later)})/|^src/[^/]+$` : '^src/[^/]+$' },
  };
});

const rootRules = ROOT_FILES.slice(0, -1).map((file, index) => ({
  name: `${file}-imports-only-lower`,
  comment: `src/${file} may import the folders and ${ROOT_FILES.slice(0, index).join(', ') || 'no other root file'}.`,
  severity: 'error',
  from: { path: `^src/${escaped(file)}$` },
  to: { path: `^src/(${anyOf(ROOT_FILES.slice(index + 1))})$` },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...folderRules,
    ...rootRules,
    {
      name: 'not-in-the-layer-order',
      comment: 'A new folder or root file of src/ takes its place in LAYERS or ROOT_FILES (.dependency-cruiser.cjs) and docs/layout.md.',
      severity: 'error',
      from: { path: '^src/', pathNot: `^src/(${anyOf(LAYERS)})/|^src/(${anyOf(ROOT_FILES)})$` },
      to: {},
    },
    {
      name: 'no-circular',
      comment: 'Files import each other in one direction only, inside a folder too.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a folder that needs another's types depends on it as much as on its code.
    tsPreCompilationDeps: true,
  },
};
