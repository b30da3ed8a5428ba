// The box image's recipe as installed (the package's box-image/ directory) and what a build takes from
// this host: its apt mirrors, Node and npm, extra CA files. Shared by `cac box image` and `cac doctor`.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { delimiter, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CacError } from '../errors.js';
import { aptMirrors, RECIPE_FILES, recipeHash, type BoxImageSource, type RecipeFile } from '../core/boxes/box-image.js';

/** Where the building host keeps the extra CA files it trusts (a network that inspects HTTPS). */
export const HOST_CA_DIR = '/usr/local/share/ca-certificates';

/** The package's box-image/ directory: next to dist/ when installed, at the repository root from source. */
export function recipeDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'box-image', 'Dockerfile'))) return join(dir, 'box-image');
    dir = dirname(dir);
  }
  throw new CacError('ERR_BOX_IMAGE_RECIPE', 'the box image recipe (box-image/ of the cac package) is missing', { hint: 'reinstall cac (npm install -g code-agent-controller)' });
}

export async function readRecipe(dir: string): Promise<RecipeFile[]> {
  return Promise.all(
    RECIPE_FILES.map(async (name) => {
      const content = await readFile(join(dir, name), 'utf8').catch(() => {
        throw new CacError('ERR_BOX_IMAGE_RECIPE', `the box image recipe is incomplete: ${join(dir, name)} is missing`, { hint: 'reinstall cac' });
      });
      return { name, content };
    }),
  );
}

/** `ca <file> <sha256>` for each extra CA file of this host, sorted. */
function caLines(): string[] {
  if (!existsSync(HOST_CA_DIR)) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(`ca ${relative(HOST_CA_DIR, p)} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
    }
  };
  walk(HOST_CA_DIR);
  return out.sort();
}

/** The apt sources of this host (deb822 and one-line files). */
function aptSources(): string[] {
  const texts: string[] = [];
  const read = (p: string): void => {
    try {
      texts.push(readFileSync(p, 'utf8'));
    } catch {
      // absent: not a Debian host, or no such file
    }
  };
  const dir = '/etc/apt/sources.list.d';
  const names = existsSync(dir) ? readdirSync(dir).sort() : [];
  for (const n of names.filter((n) => n.endsWith('.sources'))) read(join(dir, n));
  read('/etc/apt/sources.list');
  for (const n of names.filter((n) => n.endsWith('.list'))) read(join(dir, n));
  return texts;
}

export function hostMirrors(): { mirror: string; security: string } {
  const m = aptMirrors(aptSources());
  if (!m)
    throw new CacError('ERR_BOX_IMAGE_PREREQ', 'no Debian mirror found in the apt sources of this host (/etc/apt/sources.list{,.d})', {
      hint: '--from-rootfs runs on Debian with a working apt mirror',
    });
  return m;
}

/** The Node running cac and the npm directory that goes with it. */
export function hostNode(env: Record<string, string | undefined>): { binary: string; npmDir: string; npmVersion: string } {
  const binary = realpathSync(process.execPath);
  const candidates = [join(dirname(binary), '..', 'lib', 'node_modules', 'npm')];
  for (const d of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const npm = join(d, 'npm');
    if (existsSync(npm)) candidates.push(dirname(dirname(realpathSync(npm))));
  }
  for (const dir of candidates) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'npm' && pkg.version && statSync(join(dir, 'bin', 'npm-cli.js')).isFile()) return { binary, npmDir: realpathSync(dir), npmVersion: pkg.version };
    } catch {
      // not npm's directory
    }
  }
  throw new CacError('ERR_BOX_IMAGE_PREREQ', 'npm not found next to the Node running cac, nor on PATH', { hint: 'install npm (it comes with Node.js); the box image gets a copy' });
}

/** The base image of the Dockerfile's Node stage: this Node's major version on the same Debian. */
export function nodeImage(): string {
  return `node:${process.versions.node.split('.')[0]}-bookworm-slim`;
}

/** What a build takes from this host, one line each, for the recipe hash. */
export function hostInputs(source: BoxImageSource, env: Record<string, string | undefined>): string[] {
  if (source === 'dockerfile') return [`node-image ${nodeImage()}`, ...caLines()];
  const m = hostMirrors();
  const node = hostNode(env);
  return [`mirror ${m.mirror} ${m.security}`, `node ${process.version} npm ${node.npmVersion}`, ...caLines()];
}

/** The recipe hash a build of this installed recipe on this host would label its image with. */
export async function currentRecipeHash(source: BoxImageSource, env: Record<string, string | undefined>): Promise<string> {
  return recipeHash({ source, files: await readRecipe(recipeDir()), host: hostInputs(source, env) });
}
