// The box image's recipe, as pure rules: which files make it, the hash an image is labelled with (so a
// build is skipped when the image already has it), the Debian packages, and the settings a rootfs
// import takes from the Dockerfile (one source for both ways of building).
import { createHash } from 'node:crypto';
import { CacError } from '../../errors.js';
import { RECIPE_LABEL } from '../../domain/box-image.js';

/** The files of the package's `box-image/` directory that make the image; each is hashed. */
export const RECIPE_FILES = ['Dockerfile', 'packages', 'provision.sh', 'box-entrypoint'] as const;

/** `dockerfile`: `docker build` (needs a registry for the base images); `rootfs`: debootstrap + `docker import`. */
export type BoxImageSource = 'dockerfile' | 'rootfs';

export interface RecipeFile {
  name: string;
  content: string;
}

export interface RecipeInputs {
  source: BoxImageSource;
  files: readonly RecipeFile[];
  /** What the image takes from the building host, one line each: mirrors, Node and npm versions, CA files. */
  host: readonly string[];
}

/** sha256 of the recipe files, the way of building and the host inputs: equal hashes make equal images. */
export function recipeHash(inputs: RecipeInputs): string {
  const h = createHash('sha256');
  h.update(`source ${inputs.source}\n`);
  for (const f of [...inputs.files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    h.update(`file ${f.name} ${Buffer.byteLength(f.content)}\n`);
    h.update(f.content);
  }
  for (const line of inputs.host) h.update(`host ${line}\n`);
  return h.digest('hex');
}

const PACKAGE = /^[a-z0-9][a-z0-9+.-]+$/;

/** The package names of the recipe's `packages` file (one a line, `#` comments). */
export function recipePackages(text: string): string[] {
  const names = text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
  const bad = names.find((n) => !PACKAGE.test(n));
  if (bad !== undefined) throw new CacError('ERR_BOX_IMAGE_RECIPE', `box-image/packages: not a Debian package name: ${JSON.stringify(bad)}`, { hint: 'one package name a line' });
  if (names.length === 0) throw new CacError('ERR_BOX_IMAGE_RECIPE', 'box-image/packages lists no package', { hint: 'reinstall cac: its box-image/ recipe is incomplete' });
  return names;
}

/** Instructions of the final stage that set image settings rather than files: what `docker import -c` accepts. */
const SETTINGS = new Set(['ENV', 'VOLUME', 'EXPOSE', 'ENTRYPOINT', 'CMD', 'WORKDIR', 'USER', 'LABEL']);

/** The `docker import -c` changes of a rootfs build: the recipe label, then the Dockerfile's final-stage settings. */
export function importChanges(dockerfile: string, hash: string): string[] {
  const lines = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const lastFrom = lines.findLastIndex((l) => /^FROM\s/i.test(l));
  const settings = lines.slice(lastFrom + 1).filter((l) => SETTINGS.has((l.split(/\s/, 1)[0] ?? '').toUpperCase()));
  return [`LABEL ${RECIPE_LABEL}=${hash}`, ...settings];
}

/** `current`: the image has this recipe's hash; `stale`: another; `missing`: no such image. */
export type BoxImageState = 'current' | 'stale' | 'missing';

export function boxImageState(image: { recipe: string | undefined } | undefined, hash: string): BoxImageState {
  if (!image) return 'missing';
  return image.recipe === hash ? 'current' : 'stale';
}

/** The Debian archives of the host's apt sources (deb822 `URIs:` and one-line `deb` entries), in order. */
export function aptMirrors(sources: readonly string[]): { mirror: string; security: string } | undefined {
  const uris: string[] = [];
  for (const text of sources) {
    for (const line of text.split('\n')) {
      const deb822 = /^URIs:\s*(.*)$/.exec(line.trim());
      if (deb822?.[1]) uris.push(...deb822[1].split(/\s+/));
      const oneLine = /^deb\s+(\[[^\]]*\]\s+)?(\S+)/.exec(line.trim());
      if (oneLine?.[2]) uris.push(oneLine[2]);
    }
  }
  const http = uris.filter((u) => /^https?:\/\//.test(u)).map((u) => u.replace(/\/+$/, ''));
  const mirror = http.find((u) => !u.includes('-security') && /\/debian$/i.test(u));
  if (!mirror) return undefined;
  const security = http.find((u) => /\/debian-security$/.test(u)) ?? `${mirror.replace(/\/debian$/i, '')}/debian-security`;
  return { mirror, security };
}

/** What this host is, for a --from-rootfs build. */
export interface RootfsHostFacts {
  platform: string;
  uid: number | undefined;
  debian: boolean;
  /** The programs the build runs that are not found. */
  missingPrograms: readonly string[];
}

/** ERR_BOX_IMAGE_PREREQ naming everything a --from-rootfs build lacks on this host; undefined when nothing. */
export function rootfsPrereqError(f: RootfsHostFacts): CacError | undefined {
  const missing = f.platform !== 'linux' ? ['Linux'] : [...(f.uid === 0 ? [] : ['root (debootstrap and chroot need it)']), ...(f.debian ? [] : ['Debian (/etc/debian_version)']), ...f.missingPrograms];
  if (missing.length === 0) return undefined;
  const onlyPrograms = f.platform === 'linux' && f.uid === 0 && f.debian;
  return new CacError('ERR_BOX_IMAGE_PREREQ', `--from-rootfs needs ${missing.join(', ')}`, {
    hint: onlyPrograms
      ? `apt-get install ${f.missingPrograms.map((p) => (p === 'chroot' ? 'coreutils' : p)).join(' ')}`
      : 'run it as root on Debian (sudo cac box image build --from-rootfs), or without --from-rootfs where a registry is reachable',
  });
}
