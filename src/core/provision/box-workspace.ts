// Where a box's checkout lives and how core code reads files there: `~/cac/<boxId>/<repo name>` on the
// box (the box's work folder `~/cac/<boxId>` is what the ssh-fleet driver removes on destroy).
import { posix } from 'node:path';
import { CacError } from '../../errors.js';
import type { Host } from '../../ports/host.js';
import type { WorkspaceFiles } from '../../ports/workspace-files.js';
import type { Box, BoxWorkspace } from '../../domain/box.js';

/** The label every dev container of a box carries (as the box VMs do): `cac.box=<id>`. */
export const boxLabel = (boxId: string): string => `cac.box=${boxId}`;

/** The repository's name from its URL or path: `https://h/acme/app.git` → `app`; `repo` when there is none. */
export function repoName(url: string): string {
  const last =
    url
      .replace(/[/\\]+$/, '')
      .split(/[/:]/)
      .pop() ?? '';
  const name = last
    .replace(/\.git$/, '')
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[.-]+/, '');
  return name === '' ? 'repo' : name;
}

/** The checkout's folder relative to the box user's home (SSH commands start there). */
export function repoFolder(box: Pick<Box, 'id' | 'repoUrl'>): string {
  return `cac/${box.id}/${repoName(box.repoUrl)}`;
}

/** A workspace whose dev container is up: every field known. */
export type ContainerWorkspace = { [K in keyof BoxWorkspace]: NonNullable<BoxWorkspace[K]> };

/** The box's checkout; throws ERR_BOX_NOT_PROVISIONED before the repo step ran. */
export function requireCheckout(box: Box): BoxWorkspace {
  if (!box.workspace) throw notProvisioned(box, 'no repository checkout');
  return box.workspace;
}

/** The box's checkout and dev container; throws ERR_BOX_NOT_PROVISIONED before the devcontainer step ran. */
export function requireContainer(box: Box): ContainerWorkspace {
  const ws = requireCheckout(box);
  const { configFile, cli, containerId, remoteUser, remoteWorkspaceFolder } = ws;
  if (configFile === null || cli === null || containerId === null || remoteUser === null || remoteWorkspaceFolder === null) throw notProvisioned(box, 'no dev container');
  return { ...ws, configFile, cli, containerId, remoteUser, remoteWorkspaceFolder };
}

function notProvisioned(box: Box, what: string): CacError {
  const waiting = box.state === 'provisioning' || box.state === 'requested';
  return new CacError('ERR_BOX_NOT_PROVISIONED', `box ${box.id} has ${what} (state ${box.state})`, {
    hint: waiting ? `wait for it: 'cac box show ${box.id} --wait'` : `see its steps: 'cac box show ${box.id}'`,
  });
}

/** Writes stdin to the file `$1`, making its folder (umask 077: cac's own file). */
export const WRITE_FILE = 'umask 077 && mkdir -p -- "$(dirname -- "$1")" && cat > "$1"';

/** WorkspaceFiles on a Host (POSIX paths on the box): resolveWorkspace then runs there unchanged. */
export function hostFiles(host: Host, signal?: AbortSignal): WorkspaceFiles {
  const sig = signal ? { signal } : {};
  return {
    async readText(path) {
      const r = await host.exec(['cat', '--', path], sig);
      return r.exitCode === 0 ? r.stdout : undefined;
    },
    async isDirectory(path) {
      return (await host.exec(['test', '-d', path], sig)).exitCode === 0;
    },
    async writeText(path, text) {
      const r = await host.exec(['sh', '-c', WRITE_FILE, 'sh', path], { ...sig, stdin: text });
      if (r.exitCode !== 0) throw new CacError('ERR_DEVCONTAINER_UP', `writing ${path} on the box failed: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.exitCode}`}`);
    },
    resolve: (...parts) => posix.resolve('/', ...parts),
  };
}
