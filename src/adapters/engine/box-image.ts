// Builds the box image on this machine's engine: `docker build` of the recipe directory, or a Debian
// rootfs made by debootstrap, provisioned in a chroot by the same provision.sh and `docker import`ed.
// Every program gets its arguments as argv (no shell but one fixed `tar | docker import` script).
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacError } from '../../errors.js';
import { RECIPE_LABEL, RECIPE_SOURCE_LABEL } from '../../domain/box-image.js';
import type { ExecResult, Host } from '../../ports/host.js';
import { engineUnreachable, isEngineDown } from './docker-cli.js';

export interface BoxImageEngineOptions {
  host: Host;
  dockerPath: string;
  /** Extra env of docker (DOCKER_HOST). */
  env: Record<string, string>;
  signal?: AbortSignal;
  /** A line of a child's output (shown with --verbose). */
  log: (source: string, line: string) => void;
}

/** An image's id and the recipe hash it is labelled with. */
export interface InspectedImage {
  id: string;
  recipe: string | undefined;
  source: string | undefined;
}

export interface DockerfileBuild {
  tag: string;
  hash: string;
  recipeDir: string;
  files: readonly string[];
  /** Extra CA files of this host, put into the context's cas/. */
  caDir: string | undefined;
  buildArgs: Record<string, string>;
}

export interface RootfsBuild {
  tag: string;
  /** `docker import -c` changes (the recipe label first). */
  changes: readonly string[];
  recipeDir: string;
  files: readonly string[];
  caDir: string | undefined;
  packages: readonly string[];
  mirror: { mirror: string; security: string };
  /** The Node binary and npm directory copied into the image. */
  node: { binary: string; npmDir: string };
  /** Holds the rootfs while it is built (removed after) and debootstrap's package cache. */
  workDir: string;
  logFile: string;
  step: (title: string) => void;
}

const SUITE = 'bookworm';
const RECIPE_IN_ROOTFS = 'tmp/cac-box-image';

export class BoxImageEngine {
  constructor(private readonly o: BoxImageEngineOptions) {}

  private run(argv: readonly string[], extra: { env?: Record<string, string>; source?: string } = {}): Promise<ExecResult> {
    const source = extra.source ?? argv[0] ?? 'box-image';
    const emit = (chunk: string): void => {
      for (const line of chunk.split('\n')) if (line.trim()) this.o.log(source, line);
    };
    return this.o.host.exec(argv, { ...(extra.env ? { env: extra.env } : {}), ...(this.o.signal ? { signal: this.o.signal } : {}), onStdout: emit, onStderr: emit });
  }

  private docker(args: readonly string[]): Promise<ExecResult> {
    return this.run([this.o.dockerPath, ...args], { env: this.o.env, source: 'docker' });
  }

  /** The image's id and recipe labels; undefined when there is no such image. Throws ERR_ENGINE_UNREACHABLE. */
  async inspect(tag: string): Promise<InspectedImage | undefined> {
    const r = await this.docker(['image', 'inspect', '--format', `{{.Id}}|{{index .Config.Labels "${RECIPE_LABEL}"}}|{{index .Config.Labels "${RECIPE_SOURCE_LABEL}"}}`, tag]);
    if (r.exitCode === 127) throw new CacError('ERR_ENGINE_UNREACHABLE', `${this.o.dockerPath} not found`, { hint: "install a Docker-compatible CLI or set [engine] docker_path; run 'cac doctor'" });
    if (r.exitCode !== 0) {
      if (isEngineDown(r.stderr)) throw engineUnreachable(lastLine(r.stderr));
      return undefined;
    }
    const [id = '', recipe, source] = r.stdout
      .trim()
      .split('|')
      .map((v) => (v === '' || v === '<no value>' ? undefined : v));
    return { id: id ?? '', recipe, source };
  }

  /** Removes a replaced image when nothing else tags or uses it (a failure is not an error). */
  async removeIfUnused(id: string): Promise<void> {
    await this.docker(['image', 'rm', id]);
  }

  async buildFromDockerfile(b: DockerfileBuild): Promise<void> {
    const ctxDir = await mkdtemp(join(tmpdir(), 'cac-box-image-'));
    try {
      await copyRecipe(b.recipeDir, b.files, ctxDir, b.caDir);
      const args = ['build', '--tag', b.tag, '--label', `${RECIPE_LABEL}=${b.hash}`, '--label', `${RECIPE_SOURCE_LABEL}=dockerfile`];
      for (const [k, v] of Object.entries(b.buildArgs)) args.push('--build-arg', `${k}=${v}`);
      const r = await this.docker([...args, ctxDir]);
      if (r.exitCode !== 0) {
        const out = `${r.stdout}\n${r.stderr}`;
        if (isEngineDown(out)) throw engineUnreachable(lastLine(r.stderr));
        const registry = /pull access denied|failed to resolve|dial tcp|no such host|TLS handshake|i\/o timeout|manifest unknown|failed to fetch/i.test(out);
        throw new CacError('ERR_BOX_IMAGE_BUILD', `docker build of ${b.tag} failed: ${lastLine(out)}`, {
          hint: registry ? 'no registry reachable? on Debian, as root: cac box image build --from-rootfs' : 'run with --verbose for the build log',
        });
      }
    } finally {
      await rm(ctxDir, { recursive: true, force: true });
    }
  }

  async buildFromRootfs(b: RootfsBuild): Promise<void> {
    const debs = join(b.workDir, 'debs');
    await mkdir(debs, { recursive: true });
    const rootfs = await mkdtemp(join(b.workDir, 'rootfs-'));
    const log: string[] = [];
    const must = async (what: string, argv: readonly string[], env?: Record<string, string>): Promise<void> => {
      const r = await this.run(argv, env ? { env } : {});
      log.push(`$ ${argv.join(' ')}`, r.stdout, r.stderr);
      if (r.exitCode !== 0) {
        await mkdir(join(b.logFile, '..'), { recursive: true });
        const { writeFile } = await import('node:fs/promises');
        await writeFile(b.logFile, log.join('\n'), { mode: 0o600 });
        throw new CacError('ERR_BOX_IMAGE_BUILD', `${what} failed: ${lastLine(`${r.stdout}\n${r.stderr}`)} (log: ${b.logFile})`, { hint: 'check the apt mirror answers and the disk has ~2 GB free' });
      }
    };
    try {
      b.step(`debootstrap ${SUITE} from ${b.mirror.mirror}`);
      await must('debootstrap', ['debootstrap', '--variant=minbase', `--include=${b.packages.join(',')}`, `--cache-dir=${debs}`, SUITE, rootfs, b.mirror.mirror]);
      b.step('provisioning in a chroot (provision.sh)');
      const recipe = join(rootfs, RECIPE_IN_ROOTFS);
      await copyRecipe(b.recipeDir, b.files, recipe, b.caDir);
      await mkdir(join(rootfs, 'usr/local/bin'), { recursive: true });
      await must('copying Node', ['install', '-m', '755', b.node.binary, join(rootfs, 'usr/local/bin/node')]);
      await mkdir(join(rootfs, 'usr/local/lib/node_modules'), { recursive: true });
      await must('copying npm', ['cp', '-a', b.node.npmDir, join(rootfs, 'usr/local/lib/node_modules/npm')]);
      // a TMPDIR of this host need not exist in the chroot (update-ca-certificates uses mktemp)
      await must('provision.sh', ['env', '-u', 'TMPDIR', 'chroot', rootfs, '/bin/bash', `/${RECIPE_IN_ROOTFS}/provision.sh`], {
        APT_MIRROR: b.mirror.mirror,
        APT_SECURITY_MIRROR: b.mirror.security,
      });
      await rm(recipe, { recursive: true, force: true });
      b.step(`tar | docker import ${b.tag}`);
      const changes = b.changes.flatMap((c) => ['-c', c]);
      // the rootfs streams from tar to the engine: no copy of it on disk
      await must('docker import', ['bash', '-c', 'set -o pipefail; tar -C "$1" -c . | "$2" import "${@:4}" - "$3"', 'bash', rootfs, this.o.dockerPath, b.tag, ...changes], this.o.env);
    } finally {
      await removeRootfs(this.o.host, rootfs);
    }
  }
}

/** Copies the recipe files (and the host's extra CA files as cas/) into `dest`. */
async function copyRecipe(recipeDir: string, files: readonly string[], dest: string, caDir: string | undefined): Promise<void> {
  await mkdir(dest, { recursive: true });
  for (const f of files) await cp(join(recipeDir, f), join(dest, f), { preserveTimestamps: true });
  await mkdir(join(dest, 'cas'), { recursive: true });
  if (caDir && existsSync(caDir)) await cp(caDir, join(dest, 'cas'), { recursive: true });
}

/** A failed debootstrap can leave /proc, /sys... mounted in the rootfs: unmount them, and never cross into another filesystem. */
async function removeRootfs(host: Host, rootfs: string): Promise<void> {
  const mounts = await readFile('/proc/mounts', 'utf8').catch(() => '');
  const inside = mounts
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m.startsWith(`${rootfs}/`))
    .sort()
    .reverse();
  for (const m of inside) await host.exec(['umount', '-l', m]);
  await host.exec(['rm', '-rf', '--one-file-system', rootfs]);
}

function lastLine(text: string): string {
  return (
    text
      .trim()
      .split('\n')
      .filter((l) => l.trim())
      .pop() ?? ''
  ).trim();
}
