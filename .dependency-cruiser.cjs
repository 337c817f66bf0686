// The layering of DESIGN.md, checked: a folder may import only the folders listed
// before it in LAYERS (crypto is the lowest). The client SDK also knows nothing of
// server internals.
const LAYERS = ['crypto', 'kv', 'ledger', 'consensus', 'gov', 'node', 'rpc', 'apps', 'client', 'cli'];

const layerRules = LAYERS.slice(0, -1).map((layer, index) => ({
  name: `${layer}-not-above`,
  comment: `src/${layer} must not import a higher layer`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: { path: `^src/(${LAYERS.slice(index + 1).join('|')})/` },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'client-no-server-internals',
      comment: 'the SDK talks to nodes over the network, never through their code',
      severity: 'error',
      from: { path: '^src/client/' },
      to: { path: '^src/(kv|consensus|gov|node|rpc|apps)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'src-not-tests',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
