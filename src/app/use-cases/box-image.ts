// cac box image build | status: the box image docker-driver boxes run, built from the recipe the package
// ships (box-image/), by `docker build` or from a debootstrap rootfs, and reused while its label holds
// the current recipe hash.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CacError } from '../../errors.js';
import { boxImageState, importChanges, recipeHash, recipePackages, rootfsPrereqError, type BoxImageSource, type BoxImageState } from '../../core/boxes/box-image.js';
import { RECIPE_SOURCE_LABEL } from '../../domain/box-image.js';
import { BoxImageEngine } from '../../adapters/engine/box-image.js';
import { cacheDir } from '../../util/paths.js';
import type { AppContext } from '../context.js';
import { engineEnv } from '../engine.js';
import { HOST_CA_DIR, hostInputs, hostMirrors, hostNode, nodeImage, readRecipe, recipeDir } from '../box-image.js';

export interface BoxImageBuildResult {
  outcome: 'success';
  tag: string;
  id: string;
  recipeHash: string;
  source: BoxImageSource;
  /** `built`: made now; `reused`: the image already had this recipe hash. */
  action: 'built' | 'reused';
  durationMs: number;
}

export interface BoxImageStatusResult {
  outcome: 'success';
  tag: string;
  source: BoxImageSource;
  state: BoxImageState;
  id: string | null;
  recipeHash: string;
  imageRecipeHash: string | null;
}

interface Input {
  tag: string | undefined;
  fromRootfs: boolean;
}

async function engineFor(ctx: AppContext): Promise<BoxImageEngine> {
  const { config } = await ctx.config();
  return new BoxImageEngine({
    host: ctx.host,
    dockerPath: config.engine.docker_path,
    env: engineEnv(config, ctx.env),
    signal: ctx.signal,
    log: (source, line) => ctx.reporter.emit({ type: 'log', source, line }),
  });
}

/** The image `build` makes when no --tag is given: the one boxes run (`[boxes.docker] image`). */
async function targetTag(ctx: AppContext, tag: string | undefined): Promise<string> {
  return tag ?? (await ctx.config()).config.boxes.docker.image;
}

export async function boxImageStatus(ctx: AppContext, input: Input): Promise<BoxImageStatusResult> {
  const tag = await targetTag(ctx, input.tag);
  const source: BoxImageSource = input.fromRootfs ? 'rootfs' : 'dockerfile';
  const hash = recipeHash({ source, files: await readRecipe(recipeDir()), host: hostInputs(source, ctx.env) });
  const image = await (await engineFor(ctx)).inspect(tag);
  const state = boxImageState(image, hash);
  ctx.reporter.emit({
    type: 'info',
    message: `${tag}: ${state === 'current' ? `present, recipe ${hash.slice(0, 12)}` : state === 'stale' ? 'built from another recipe (or on another host setup)' : 'missing'}`,
  });
  return { outcome: 'success', tag, source, state, id: image?.id ?? null, recipeHash: hash, imageRecipeHash: image?.recipe ?? null };
}

export async function buildBoxImage(ctx: AppContext, input: Input & { force: boolean }): Promise<BoxImageBuildResult> {
  const started = Date.now();
  const tag = await targetTag(ctx, input.tag);
  const source: BoxImageSource = input.fromRootfs ? 'rootfs' : 'dockerfile';
  const dir = recipeDir();
  const files = await readRecipe(dir);
  const hash = recipeHash({ source, files, host: hostInputs(source, ctx.env) });
  const engine = await engineFor(ctx);
  const before = await engine.inspect(tag);
  if (!input.force && boxImageState(before, hash) === 'current' && before) {
    ctx.reporter.emit({ type: 'info', message: `${tag}: present with recipe ${hash.slice(0, 12)}, reused (--force rebuilds it)` });
    return { outcome: 'success', tag, id: before.id, recipeHash: hash, source, action: 'reused', durationMs: Date.now() - started };
  }
  if (source === 'rootfs') assertRootfsHost(ctx.env);
  const names = files.map((f) => f.name);
  const caDir = existsSync(HOST_CA_DIR) ? HOST_CA_DIR : undefined;
  let current = '';
  const step = (title: string): void => {
    if (current) ctx.reporter.emit({ type: 'step.ok', id: current });
    current = `box-image.${title.split(' ')[0]}`;
    ctx.reporter.emit({ type: 'step.start', id: current, title });
  };
  try {
    if (source === 'dockerfile') {
      step(`docker build ${tag} from the recipe in ${dir}`);
      await engine.buildFromDockerfile({ tag, hash, recipeDir: dir, files: names, caDir, buildArgs: { NODE_IMAGE: nodeImage() } });
    } else {
      const dockerfile = files.find((f) => f.name === 'Dockerfile')?.content ?? '';
      const packages = recipePackages(files.find((f) => f.name === 'packages')?.content ?? '');
      const node = hostNode(ctx.env);
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      await engine.buildFromRootfs({
        tag,
        changes: [...importChanges(dockerfile, hash), `LABEL ${RECIPE_SOURCE_LABEL}=rootfs`],
        recipeDir: dir,
        files: names,
        caDir,
        packages,
        mirror: hostMirrors(),
        node: { binary: node.binary, npmDir: node.npmDir },
        workDir: join(cacheDir(ctx.env), 'box-image'),
        logFile: join(ctx.stateDir, 'logs', `box-image-${stamp}.log`),
        step,
      });
    }
  } catch (e) {
    if (current) ctx.reporter.emit({ type: 'step.fail', id: current });
    throw e;
  }
  if (current) ctx.reporter.emit({ type: 'step.ok', id: current });
  const after = await engine.inspect(tag);
  if (!after) throw new CacError('ERR_BOX_IMAGE_BUILD', `the build finished but ${tag} is not in the engine`, { hint: "run with --verbose; check 'docker images'" });
  // the image this tag named before is untagged now: remove it unless a container still uses it
  if (before && before.id !== after.id) await engine.removeIfUnused(before.id);
  const durationMs = Date.now() - started;
  ctx.reporter.emit({ type: 'info', message: `${tag}: built (${source}) in ${(durationMs / 1000).toFixed(0)} s, recipe ${hash.slice(0, 12)}` });
  return { outcome: 'success', tag, id: after.id, recipeHash: hash, source, action: 'built', durationMs };
}

/** --from-rootfs runs debootstrap and chroot: Linux, root, Debian, the programs present. */
function assertRootfsHost(env: Record<string, string | undefined>): void {
  const problem = rootfsPrereqError({
    platform: process.platform,
    uid: process.getuid?.(),
    debian: existsSync('/etc/debian_version'),
    missingPrograms: ['debootstrap', 'chroot', 'tar'].filter((p) => !onPath(p, env)),
  });
  if (problem) throw problem;
}

function onPath(program: string, env: Record<string, string | undefined>): boolean {
  const dirs = [...(env.PATH ?? '').split(':').filter(Boolean), '/usr/sbin', '/sbin'];
  return dirs.some((d) => existsSync(join(d, program)));
}
