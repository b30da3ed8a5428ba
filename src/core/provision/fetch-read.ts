// One exec that fetches a branch into a box's checkout and reads what the steps after need (SWITCH,
// HEAD_READ): every exec is a round trip and a login on the box. Push delivery's bundle is its stdin,
// streamed once made here; the exec starts first, so the connection, the login and the script's start
// overlap with `git bundle`.
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ExecResult, Host } from '../../ports/host.js';
import type { RepoBundle } from '../../ports/repo-source.js';
import type { Box } from '../../domain/box.js';
import type { ContainerWorkspace } from './box-workspace.js';
import { configReads, type ConfigRead, type ConfigReads } from './config-hash.js';
import { repoDelivery } from './delivery.js';
import { gitFailure, validateInputs, type RepoStepDeps } from './repo.js';

/** What the script printed, line by line, and the config reads it was asked for. */
export interface FetchRead {
  lines: string[];
  reads: ConfigReads;
}

/**
 * Runs `script` (SWITCH or HEAD_READ) for `branch` in the checkout of `ws`. A non-zero exit is ERR_REPO
 * naming the fetch when the script did not print `fetched`, else `after` (the operation that came next).
 */
export async function fetchRead(
  deps: Pick<RepoStepDeps, 'delivery' | 'source'>,
  host: Host,
  box: Box,
  ws: ContainerWorkspace,
  script: string,
  branch: string,
  after: string,
  signal: AbortSignal,
): Promise<FetchRead> {
  validateInputs(box.repoUrl, [branch]);
  const how = repoDelivery(box.repoUrl, deps.delivery);
  const reads = configReads(ws.folder, ws.configFile);
  const argv = ['sh', '-c', script, 'sh', how, ws.folder, branch, reads.configRel, String(reads.paths.length), ...reads.paths, ...reads.dirs];
  const r = how === 'push' ? await execWithBundle(host, argv, deps.source.bundle(box.repoUrl, [branch], { signal }), signal) : await host.exec(argv, { signal });
  const lines = r.stdout.split('\n');
  if (r.exitCode !== 0) throw gitFailure(lines[0] === 'fetched' ? after : how === 'push' ? `fetching the bundle of ${box.repoUrl}` : `git fetch of ${box.repoUrl}`, r);
  return { lines, reads };
}

/** The config reads printed from line `from` on (CONFIG_READ's output) for `reads`. */
export function configReadAt(lines: readonly string[], from: number, reads: ConfigReads): ConfigRead {
  const end = lines.indexOf('=config', from);
  const ids = lines.slice(from, from + reads.paths.length);
  return { ids, listing: lines.slice(from + ids.length, end < 0 ? undefined : end), text: end < 0 ? undefined : lines.slice(end + 1).join('\n') };
}

/**
 * Runs the script with the bundle on its stdin, started before the bundle is made. A bundle that cannot
 * be made ends stdin empty (the box's fetch fails, nothing changes there) and is the error.
 */
async function execWithBundle(host: Host, argv: readonly string[], bundling: Promise<RepoBundle>, signal: AbortSignal): Promise<ExecResult> {
  const stdin = new PassThrough();
  const running = host.exec(argv, { signal, stdin });
  // handled now: an exec that fails while the bundle is made must not be an unhandled rejection
  running.catch(() => undefined);
  let bundle: RepoBundle;
  try {
    bundle = await bundling;
  } catch (e) {
    stdin.end();
    await running.catch(() => undefined);
    throw e;
  }
  try {
    pipeline(bundle.open(), stdin).catch(() => undefined);
    return await running;
  } finally {
    await bundle.dispose();
  }
}
