// exec and list.
import { CacError } from '../../errors.js';
import type { ContainerInfo, DevcontainerEngine, WorkspaceRef } from '../../ports/engine.js';

/** Runs argv in the workspace's running container with cac's stdio (a terminal when `tty`); resolves with its exit code. */
export async function exec(engine: DevcontainerEngine, ws: WorkspaceRef, argv: readonly string[], opts: { signal?: AbortSignal; tty?: boolean } = {}): Promise<number> {
  if (argv.length === 0) {
    throw new CacError('ERR_USAGE', 'no command given', { hint: 'usage: cac exec [workspace] -- <cmd> [args...]' });
  }
  const c = await engine.find(ws, opts.signal ? { signal: opts.signal } : {});
  if (!c) throw new CacError('ERR_NO_CONTAINER', `no dev container for ${ws.folder}`, { hint: `create it with 'cac up ${ws.folder}'` });
  if (!c.running) throw new CacError('ERR_CONTAINER_STOPPED', `the dev container of ${ws.folder} is ${c.state}`, { hint: `start it with 'cac start ${ws.folder}'` });
  const r = await engine.exec(ws, argv, { inherit: true, ...(opts.tty ? { tty: true } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
  return r.exitCode;
}

/** A dev container as `cac list` shows it. */
export interface ListedContainer {
  containerId: string;
  workspace: string | null;
  configFile: string | null;
  /** `configFile` is one cac generated for a folder without a devcontainer configuration. */
  generatedConfig: boolean;
  state: string;
  image: string;
  createdAt: string;
  ageMs: number;
  remoteUser: string | null;
  /** A Compose config's project and its services; null for a single-container config. */
  composeProject: string | null;
  services: string[] | null;
}

/** `cac list`: the dev containers cac knows, running ones unless `all`. */
export async function list(engine: DevcontainerEngine, now: number, opts: { all?: boolean; signal?: AbortSignal } = {}): Promise<ListedContainer[]> {
  const found = await engine.list(opts);
  return found.map((c: ContainerInfo) => ({
    containerId: c.id,
    workspace: c.workspace ?? null,
    configFile: c.configFile ?? null,
    generatedConfig: c.generatedConfig === true,
    state: c.state,
    image: c.image,
    createdAt: c.createdAt,
    ageMs: Math.max(0, now - Date.parse(c.createdAt)),
    remoteUser: c.remoteUser ?? null,
    composeProject: c.composeProject ?? null,
    services: c.composeProject ? (c.composeServices ?? []) : null,
  }));
}
