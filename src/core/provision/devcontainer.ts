// The `devcontainer` step: the pinned devcontainer CLI on the box, the preloaded images, then the same
// core `up` that runs on a laptop, here through a DevcontainerEngine on the box's SSH Host. The repo's
// own devcontainer.json decides image or Dockerfile; a repo without one gets a config naming `[boxes]
// default_image`, generated next to the checkout (never in it), or fails with ERR_NO_DEVCONTAINER.
import { posix } from 'node:path';
import { CacError } from '../../errors.js';
import type { Host } from '../../ports/host.js';
import type { DevcontainerEngine } from '../../ports/engine.js';
import type { Reporter, ReporterEvent } from '../../ports/reporter.js';
import type { ImageSource } from '../../ports/image-source.js';
import { rebuild, up } from '../lifecycle/up.js';
import { chooseWorkspace } from '../lifecycle/default-image.js';
import type { Box, BoxWorkspace } from '../../domain/box.js';
import type { ProvisionStep } from './pipeline.js';
import { boxLabel, hostFiles, requireCheckout, type ContainerWorkspace } from './box-workspace.js';
import type { BoxConnections } from './connections.js';
import { configHashAt } from './config-hash.js';
import { ensureDevcontainerCli } from './devcontainer-cli.js';
import { preloadImages } from './preload.js';
import { reportPreparedUse } from './prepared-use.js';
import { boxAgentMounts, type BoxAgentVolumeDeps } from './agent-volumes.js';

/** How a box runs `devcontainer up`: its engine, a reporter, the clock. */
export interface DevcontainerUpDeps {
  /** The engine on a box: the devcontainer CLI at `cli` and the box's docker, both run over `host`. */
  engine(host: Host, cli: string): DevcontainerEngine;
  reporter: Reporter;
  now: () => number;
  /** `[boxes] default_image`: the image of a checkout without a devcontainer configuration; absent: such a box fails. */
  defaultImage?: string;
  /** The box's agent volumes (filled by `cac pool prepare`), mounted into a dev container it creates; absent when agents are off. */
  agentVolumes?: BoxAgentVolumeDeps;
}

/** What the devcontainer step needs. */
export interface DevcontainerStepDeps extends DevcontainerUpDeps {
  connections: BoxConnections;
  /** The pinned @devcontainers/cli version (cac's own dependency). */
  cliVersion: string;
  /** `[boxes] preload_images`. */
  preloadImages: readonly string[];
  images: ImageSource;
}

/**
 * `devcontainer up` (or a rebuild, for a changed config) in the box's checkout; the workspace with the
 * container's details. The container carries `cac.box=<id>`, so the box's cleanup finds it.
 */
export async function upOnBox(deps: DevcontainerUpDeps, host: Host, box: Box, ws: BoxWorkspace & { cli: string }, opts: { rebuild?: boolean; signal: AbortSignal }): Promise<ContainerWorkspace> {
  const [{ ref }, mounts] = await Promise.all([
    chooseWorkspace(hostFiles(host, opts.signal), ws.folder, {
      defaultImage: deps.defaultImage,
      generatedFile: generatedConfigFile,
      write: true,
      hint: 'add .devcontainer/devcontainer.json to the repository, or set [boxes] default_image',
    }),
    deps.agentVolumes ? boxAgentMounts({ ...deps.agentVolumes, reporter: deps.reporter }, host, box.id, opts.signal) : [],
  ]);
  const engine = deps.engine(host, ws.cli);
  const lifecycle = { engine, reporter: boxReporter(deps.reporter, box.id), now: deps.now };
  const target = { ...ref, labels: [...(ref.labels ?? []), boxLabel(box.id)] };
  // agents are the `agents` step's; their volumes must be there when the container is made
  const r = await (opts.rebuild ? rebuild : up)(lifecycle, target, { signal: opts.signal, noAgents: true, mounts });
  // under another config file the id labels differ: the rebuild did not replace the old container
  if (ws.containerId && ws.configFile && ws.configFile !== ref.configFile) await engine.remove(ws.containerId, { volumes: true }).catch(() => undefined);
  const { containerId, remoteUser, remoteWorkspaceFolder } = r;
  if (!containerId || !remoteUser || !remoteWorkspaceFolder) throw new CacError('ERR_DEVCONTAINER_UP', `devcontainer up on box ${box.id} reported no container`);
  const { generatedImage: _old, ...rest } = ws;
  return { ...rest, configFile: ref.configFile, containerId, remoteUser, remoteWorkspaceFolder, ...(ref.generatedImage ? { generatedImage: ref.generatedImage } : {}) };
}

/**
 * Where a checkout without a devcontainer configuration gets the one cac generates: `.cac/` next to it, in
 * the box's work folder `~/cac/<box id>` (removed with the box); a repo name never starts with a dot.
 */
function generatedConfigFile(folder: string): string {
  return posix.join(posix.dirname(folder), '.cac', 'devcontainer.json');
}

/** The `devcontainer` step: the pinned CLI and the preloaded images on the box, then `devcontainer up` there. */
export function devcontainerStep(deps: DevcontainerStepDeps): ProvisionStep {
  return {
    name: 'devcontainer',
    async run(ctx) {
      const { box, signal } = ctx;
      const ws = requireCheckout(box);
      const host = await deps.connections.get(box);
      const cli = await ensureDevcontainerCli(host, deps.cliVersion, signal);
      // whether the box's engine started from the pool's prepared images: told alongside, never failing the step
      const told = reportPreparedUse(deps, host, box.id, ws.folder, signal).catch(() => undefined);
      await preloadImages(deps, host, deps.preloadImages, { boxId: box.id, signal });
      const workspace = await upOnBox(deps, host, box, { ...ws, cli }, { signal });
      await told;
      // what defines the container at this commit: a later change of it means a new box, not an update
      const configHash = await configHashAt(host, workspace.folder, workspace.configFile, 'HEAD', signal);
      return { workspace, configHash };
    },
  };
}

// The CLI's progress lines of several boxes at once would interleave: on a box they are logs (--verbose).
function boxReporter(reporter: Reporter, boxId: string): Reporter {
  const asLog = (e: ReporterEvent): ReporterEvent =>
    e.type === 'step.start'
      ? { type: 'log', source: boxId, line: e.title }
      : e.type === 'step.ok' || e.type === 'step.fail'
        ? { type: 'log', source: boxId, line: `${e.id} ${e.type === 'step.ok' ? 'done' : 'failed'}` }
        : e;
  return { emit: (e) => reporter.emit(asLog(e)), close: () => undefined };
}
