// DevcontainerEngine: dev containers on a Host, backed by the reference devcontainer CLI plus the
// docker CLI for what it lacks (find, stop, remove, list).

/** A workspace and the devcontainer.json that describes it, both absolute paths on the engine's host. */
export interface WorkspaceRef {
  folder: string;
  configFile: string;
  /** Extra id labels (`key=value`) the container carries and is found by, e.g. `cac.box=<id>` on a box. */
  labels?: readonly string[];
  /** Set when the folder has no devcontainer configuration and `configFile` is the one cac generated for it (outside the folder): its image. */
  generatedImage?: string;
}

/** The id label (`key=value`) of a container made from a config cac generated for a folder without one. */
export const GENERATED_LABEL = 'cac.config=generated';

/** A dev container as the engine lists it. */
export interface ContainerInfo {
  id: string;
  /** Engine state: running, exited, created, paused, restarting, dead. */
  state: string;
  running: boolean;
  image: string;
  /** ISO timestamp of creation. */
  createdAt: string;
  /** devcontainer.local_folder label. */
  workspace: string | undefined;
  /** devcontainer.config_file label. */
  configFile: string | undefined;
  /** Made from a config cac generated (the GENERATED_LABEL). */
  generatedConfig?: boolean;
  /** The remote user from the devcontainer.metadata label, when known. */
  remoteUser: string | undefined;
  /** A Compose config's project (com.docker.compose.project label); undefined for a single container. */
  composeProject?: string;
  /** The project's services (any state), filled by list(). */
  composeServices?: string[];
}

/** Progress from the engine while it works (mapped to Reporter events by core). */
export type EngineEvent = { type: 'step.start'; id: string; title: string } | { type: 'step.ok'; id: string } | { type: 'step.fail'; id: string } | { type: 'log'; line: string };

/** Options of DevcontainerEngine.up. */
export interface UpOptions {
  /** Remove an existing container first (rebuild). */
  removeExisting?: boolean;
  /** Build without the cache. */
  buildNoCache?: boolean;
  /** Fail when no container exists (start). */
  expectExisting?: boolean;
  /**
   * Extra mounts of a container this call creates (the devcontainer CLI's `--mount` values). A promise may
   * still be running: the engine waits for it only when it runs the CLI, so it overlaps the engine's checks.
   */
  mounts?: readonly string[] | Promise<readonly string[]>;
  signal?: AbortSignal;
  onEvent?: (event: EngineEvent) => void;
}

/** What DevcontainerEngine.up made or found. */
export interface UpResult {
  /** What happened to the container: created (docker run), started (docker start), or reused as it ran. */
  action: 'created' | 'started' | 'reused';
  containerId: string;
  remoteUser: string;
  remoteWorkspaceFolder: string;
  /** Set for a Compose config: the project the `service` container belongs to. */
  composeProject?: string;
}

/** The port for dev containers: up, stop, remove, exec, list (the devcontainer CLI on a Host). */
export interface DevcontainerEngine {
  /** The cac-managed container of this workspace, running or not. */
  find(ws: WorkspaceRef, opts?: { signal?: AbortSignal }): Promise<ContainerInfo | undefined>;
  /**
   * Build if needed, create or reuse, start, run lifecycle commands. Throws CacError on failure; when
   * this call had created a container before failing, the error's details say `createdContainer: true`.
   */
  up(ws: WorkspaceRef, opts?: UpOptions): Promise<UpResult>;
  /** Stop a container (a stopped one is left as it is); for a Compose config, every container of its project. */
  stop(id: string, opts?: { signal?: AbortSignal }): Promise<void>;
  /**
   * Remove a container, optionally with its anonymous volumes; for a Compose config, every container of
   * its project and the project's networks (and, with volumes, the project's volumes).
   */
  remove(id: string, opts?: { volumes?: boolean; signal?: AbortSignal }): Promise<void>;
  /**
   * Run a command as the remote user in the workspace folder, with the user's login environment;
   * resolves with its exit code. No environment value is ever put on a command line. `tty` (with
   * `inherit`) gives the command a terminal.
   */
  exec(ws: WorkspaceRef, argv: readonly string[], opts?: { signal?: AbortSignal; inherit?: boolean; stdin?: string; tty?: boolean }): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  /** cac-managed containers (a Compose config's `service` container stands for its project); only running ones unless `all`. */
  list(opts?: { all?: boolean; signal?: AbortSignal }): Promise<ContainerInfo[]>;
  /** Throws ERR_ENGINE_UNREACHABLE with a hint when no engine answers. */
  ping(opts?: { signal?: AbortSignal }): Promise<string>;
}
