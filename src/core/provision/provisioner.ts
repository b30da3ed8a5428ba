// SshProvisioner (seed name; a factory of pipeline steps): the steps that make a box ready to work once SSH answers — repo,
// devcontainer, agents, and the requester's .env — and the steps after a warm claim (switch, env).
// All of a box's steps share one SSH connection (BoxConnections), closed by `settle` when its run ends.
import type { Host } from '../../ports/host.js';
import type { Box } from '../../domain/box.js';
import type { DevcontainerEngine } from '../../ports/engine.js';
import type { ImageSource } from '../../ports/image-source.js';
import type { Reporter } from '../../ports/reporter.js';
import type { RepoSource } from '../../ports/repo-source.js';
import type { ProvisionStep } from './pipeline.js';
import { agentsStep, type BoxAgentDeps } from './agents.js';
import type { BoxAgentVolumeDeps } from './agent-volumes.js';
import type { BoxConnections } from './connections.js';
import type { RepoDelivery } from './delivery.js';
import { devcontainerStep } from './devcontainer.js';
import { envStep, type EnvInjector } from './env.js';
import { repoStep } from './repo.js';
import { switchStep } from './switch.js';
import { freshenStep } from './freshen.js';
import { bringToHead, type BoxUpdate } from './update.js';

/** A pool's max_staleness when none is set: the default reconcile interval. */
export const DEFAULT_MAX_STALENESS_MS = 60_000;

/** The SshProvisioner's dependencies (the rich form; the library's SshProvisioner also takes `{ executor, envInjector, repoPath }`). */
export interface SshProvisionerDeps {
  connections: BoxConnections;
  /** Git bundles for push delivery. */
  source: RepoSource;
  /** `[boxes] repo_delivery`; absent: push for local paths and file:// URLs, clone otherwise. */
  delivery?: RepoDelivery;
  /** Where the checkout lives on the box; default `~/cac/<box id>/<repo name>`. */
  repoPath?: string;
  /** Images to copy from the local engine into each box (`[boxes] preload_images`). */
  preloadImages?: readonly string[];
  /** `[boxes] default_image`: the image of a checkout without a devcontainer configuration; absent: such a box fails. */
  defaultImage?: string;
  images: ImageSource;
  /** The pinned @devcontainers/cli version installed on boxes. */
  cliVersion: string;
  /** The DevcontainerEngine on a box: the CLI at `cli` run over `host`. */
  engine(host: Host, cli: string): DevcontainerEngine;
  /** Agent injection into a box's container; absent when agents are off (no `agents` step). */
  agentDeps?: BoxAgentDeps;
  /** The agent volumes a box has (its engine's, mounted read-only), mounted by `devcontainer up`; absent when agents are off. */
  agentVolumes?: BoxAgentVolumeDeps;
  /** Writes the requester's .env; absent when none is given (no `env` step). */
  env?: EnvInjector;
  reporter: Reporter;
  now: () => number;
  /** A pool's `max_staleness` in ms (after a claim, a box last checked at head longer ago is brought to head); default 60 s. */
  maxStalenessMs?: (poolKey: string) => number;
}

/** The steps that make a box ready to work over its SSH connection (repo, devcontainer, agents, env), and those after a warm claim. */
export class SshProvisioner {
  constructor(private readonly deps: SshProvisionerDeps) {}

  /** After vm_create and ssh_ready: repo, devcontainer, agents (when on), env (when a .env is given). */
  steps(): ProvisionStep[] {
    const d = this.deps;
    return [
      repoStep(d),
      devcontainerStep({ ...d, preloadImages: d.preloadImages ?? [] }),
      ...(d.agentDeps ? [agentsStep({ connections: d.connections, agentDeps: d.agentDeps })] : []),
      ...this.envSteps(),
    ];
  }

  /** What makes a pool's prepared images (core/boxes/prepare-pool.ts): repo, devcontainer. */
  prepareSteps(): ProvisionStep[] {
    return [repoStep(this.deps), devcontainerStep({ ...this.deps, preloadImages: this.deps.preloadImages ?? [] })];
  }

  /** Where the repo is read here (a pool's config hash). */
  get source(): RepoSource {
    return this.deps.source;
  }

  /** What a config hash is made of besides the config: the CLI version and the preloaded images. */
  get hashInputs(): { images: ImageSource; preloadImages: readonly string[]; cliVersion: string } {
    return { images: this.deps.images, preloadImages: this.deps.preloadImages ?? [], cliVersion: this.deps.cliVersion };
  }

  /** The box's Host (its steps' shared SSH connection). */
  readonly host = (box: Box): Promise<Host> => this.deps.connections.get(box);

  /** After a warm claim: freshen (a box behind its base head), switch (when the request is for another branch than the box's), env. */
  afterClaim(): ProvisionStep[] {
    return [freshenStep({ ...this.deps, maxStalenessMs: this.deps.maxStalenessMs ?? (() => DEFAULT_MAX_STALENESS_MS) }), switchStep(this.deps), ...this.envSteps()];
  }

  /** Brings a standby box (held by a reconcile) to its base head in place; a changed dev container definition is reported, not applied. */
  readonly update = (box: Box, signal: AbortSignal): Promise<BoxUpdate> => bringToHead(this.deps, box, { rebuild: false, signal });

  /** Closes the box's SSH connection (ProvisionDeps.settle). */
  readonly settle = (boxId: string): Promise<void> => this.deps.connections.close(boxId);

  /** Closes every connection this provisioner opened. */
  close(): Promise<void> {
    return this.deps.connections.closeAll();
  }

  private envSteps(): ProvisionStep[] {
    return this.deps.env ? [envStep({ connections: this.deps.connections, injector: this.deps.env })] : [];
  }
}
