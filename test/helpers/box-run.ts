// Box tests on the shared dockerd: every box container of a test file carries cac.test-run=<its run id>
// (cac reads CAC_TEST_RUN_LABEL), so a file finds and removes exactly its own containers, and an
// independent OpenSSH client checks logins against the pinned host key.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalHost } from '../../src/adapters/host/local.js';
import { DockerVmDriver, type DockerDriverOptions } from '../../src/adapters/vm/docker.js';
import type { SshTarget } from '../../src/domain/box.js';
import { engineEnv, infra } from './infra.js';

export const newRunId = (what: string): string => `${what}-${randomBytes(4).toString('hex')}`;

const docker = (args: string[]): string => execFileSync('docker', args, { env: { ...process.env, ...engineEnv() }, encoding: 'utf8' });

/** Containers of the run: id and the box id label. */
export function runContainers(runId: string): Array<{ id: string; boxId: string }> {
  return docker(['ps', '-a', '--no-trunc', '--filter', `label=cac.test-run=${runId}`, '--format', '{{.ID}} {{.Label "cac.box"}}'])
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id = '', boxId = ''] = line.split(' ');
      return { id, boxId };
    });
}

/** Removes every container of the run (by label), whatever the tests did. */
export function removeRun(runId: string): void {
  const ids = runContainers(runId).map((c) => c.id);
  if (!ids.length) return;
  try {
    docker(['rm', '-f', '-v', ...ids]);
  } catch (e) {
    // a box's own release (a detached worker) may be removing the same container right now
    if (!/already in progress|No such container/.test(String((e as { stderr?: unknown }).stderr ?? e))) throw e;
  }
}

/** The host key the box itself holds, read through the engine (what the driver should have pinned). */
export function boxHostKey(containerId: string): string {
  return docker(['exec', containerId, 'cat', '/etc/ssh/ssh_host_ed25519_key.pub']).trim().split(/\s+/).slice(0, 2).join(' ');
}

/** Runs `command` over OpenSSH with `keyFile`, trusting ONLY `hostKey` for the target (strict checking). */
export function sshPinned(target: SshTarget, keyFile: string, command: string, hostKey = target.hostKey): { status: number | null; stdout: string; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cac-known-'));
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `[${target.host}]:${target.port} ${hostKey}\n`);
  const r = spawnSync(
    'ssh',
    [
      '-i',
      keyFile,
      '-p',
      String(target.port),
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      `UserKnownHostsFile=${knownHosts}`,
      '-o',
      'GlobalKnownHostsFile=/dev/null',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'ConnectTimeout=10',
      `${target.user}@${target.host}`,
      command,
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The docker driver on the test engine and image, scoped to the run; plain SSH boxes unless told otherwise. */
export function testDockerDriver(runId: string, overrides: Partial<DockerDriverOptions> = {}): DockerVmDriver {
  return new DockerVmDriver({
    host: new LocalHost({ env: { ...process.env, ...engineEnv() } }),
    dockerPath: 'docker',
    env: engineEnv(),
    image: infra.CAC_TEST_BOX_IMAGE ?? 'cac-test/box:bookworm',
    scope: { 'cac.test-run': runId },
    innerDocker: false,
    ...overrides,
  });
}
