// The layering of src/ (docs/architecture.md), checked by test/unit/architecture.test.ts in the unit lane.
// Imports point down: cli → app → core → ports → domain; adapters implement ports. Each rule names a layer
// and what it must not import.

/** Project modules outside the given folders (and outside errors.ts, which every layer may use). */
const outside = (...dirs) => `^src/(?!(${dirs.join('|')})/|errors\\.ts$)`;

/** Libraries that touch the outside world or the terminal: adapters, app, cli and output only. */
const WORLD = ['execa', 'ssh2', 'ioredis', 'better-sqlite3', 'chalk', 'ora', 'commander', '@commander-js/extra-typings', 'prom-client', 'cli-table3', 'smol-toml', 'zod'];
const packages = (names) => `(^|/)node_modules/(${names.map((n) => n.replace(/[/.]/g, '\\$&')).join('|')})/`;

module.exports = {
  forbidden: [
    {
      name: 'domain-is-a-leaf',
      comment: 'src/domain holds plain types and pure rules: it imports only domain/ and errors.ts (and ms for durations, node:net for isIP).',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { pathNot: ['^src/domain/', '^src/errors\\.ts$', '(^|/)node_modules/ms/', '^net$'] },
    },
    {
      name: 'errors-is-a-leaf',
      comment: 'src/errors.ts is imported by every layer, so it imports nothing.',
      severity: 'error',
      from: { path: '^src/errors\\.ts$' },
      to: {},
    },
    {
      name: 'ports-import-domain-only',
      comment: 'Ports are interfaces over domain types.',
      severity: 'error',
      from: { path: '^src/ports/' },
      to: { path: outside('ports', 'domain') },
    },
    {
      name: 'util-is-a-leaf',
      comment: 'Leaf helpers (shell quoting, ids, paths, redaction) import only util/ and errors.ts.',
      severity: 'error',
      from: { path: '^src/util/' },
      to: { path: outside('util') },
    },
    {
      name: 'core-imports-domain-ports-util',
      comment: 'Use cases and planners see the world only through ports, and receive their settings as their own typed options (app builds them from config).',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: outside('core', 'domain', 'ports', 'util') },
    },
    {
      name: 'core-touches-no-world-library',
      comment: 'Core never runs processes, opens connections, prints or parses flags.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: packages(WORLD) },
    },
    {
      name: 'adapters-import-domain-ports-util',
      comment: 'Adapters implement ports; they never reach into core, app, cli, config or output.',
      severity: 'error',
      from: { path: '^src/adapters/' },
      to: { path: outside('adapters', 'domain', 'ports', 'util') },
    },
    {
      name: 'config-imports-domain-util',
      comment: 'Config is loaded and validated at the edge; it knows the domain names, nothing else.',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: outside('config', 'domain', 'util') },
    },
    {
      name: 'output-renders-only',
      comment: 'Reporters and renderers: they know ports (Reporter) and domain types, never core, adapters, app or cli.',
      severity: 'error',
      from: { path: '^src/output/' },
      to: { path: outside('output', 'ports', 'domain', 'util') },
    },
    {
      name: 'app-is-below-cli',
      comment: 'app is the composition root the CLI and the library call; it never imports the CLI.',
      severity: 'error',
      from: { path: '^src/app/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'cli-calls-app-only',
      comment: 'CLI handlers parse, call app, render and return an exit code: no core, no adapters, no config.',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: { path: '^src/(core|adapters|config)/' },
    },
    {
      name: 'nothing-imports-the-library-entry',
      comment: 'src/index.ts is the public API; code inside src uses the modules themselves.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/index\\.ts$' },
    },
    {
      name: 'no-circular',
      comment: 'Import cycles blur the layers. A lazy import() back up the tree (completion builds the program that loads it) is not one.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['dynamic-import'] } },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], mainFields: ['module', 'main', 'types'] },
  },
};
