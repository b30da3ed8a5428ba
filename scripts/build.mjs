// Build: esbuild bundles our code (dependencies stay external and load lazily), tsc emits the
// library's .d.ts files. Run by `npm ci` (prepare) and `npm run build`. `--metafile <file>` writes
// only esbuild's metafile (what each chunk holds and imports) to <file>, dist/ untouched: a unit test
// reads it to check what `cac up` loads before it spawns the devcontainer CLI.
import { build } from 'esbuild';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const at = process.argv.indexOf('--metafile');
const metafile = at > 0 ? process.argv[at + 1] : undefined;
if (!metafile) rmSync(join(root, 'dist'), { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { cli: 'src/cli/main.ts', index: 'src/index.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // our code and the small pure-JS dependencies are bundled (far fewer files to load at start-up);
  // native and large modules stay external and load lazily
  external: ['better-sqlite3', 'ssh2', 'ioredis', 'cpu-features', '@devcontainers/cli', 'prom-client'],
  banner: { js: "import { createRequire as __cacRequire } from 'node:module'; const require = __cacRequire(import.meta.url);" },
  chunkNames: 'chunks/[name]-[hash]',
  // ESM builds first: UMD builds (jsonc-parser) hide their requires from the bundler
  mainFields: ['module', 'main'],
  define: { __CAC_VERSION__: JSON.stringify(pkg.version) },
  sourcemap: true,
  logLevel: 'warning',
  ...(metafile ? { write: false, metafile: true } : {}),
});
if (metafile) writeFileSync(metafile, JSON.stringify(result.metafile));
else if (!process.argv.includes('--no-types')) {
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
}
