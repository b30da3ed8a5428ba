// What every driver test shares: a run label on every container it starts (removed by label in afterAll,
// never anyone else's), key pairs, and box containers started BY THE TEST as fleet hosts.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { utils } from 'ssh2';
import type { SshTarget } from '../../../src/domain/box.js';
import { infra } from '../../helpers/infra.js';

const run = promisify(execFile);

/** This test file's run id: `cac.test-run=<id>` is on every container it makes. */
export const RUN = `drivers-${randomBytes(4).toString('hex')}`;
export const RUN_LABELS: Record<string, string> = { 'cac.test-run': RUN };
export const BOX_IMAGE = infra.CAC_TEST_BOX_IMAGE ?? 'cac-test/box:bookworm';
export const DOCKER_ENV: Record<string, string> = { DOCKER_HOST: infra.DOCKER_HOST ?? '' };

const docker = (args: string[], env: Record<string, string> = {}) => run('docker', args, { env: { ...process.env, ...DOCKER_ENV, ...env }, maxBuffer: 16 * 1024 * 1024 });

/** Removes every container of this run (and only those), whatever state the tests left. */
export async function removeRunContainers(): Promise<void> {
  const { stdout } = await docker(['ps', '-aq', '--filter', `label=cac.test-run=${RUN}`]);
  const ids = stdout.split('\n').filter(Boolean);
  if (ids.length) await docker(['rm', '-f', '-v', ...ids]);
}

export interface KeyPair {
  privateKey: string;
  publicKey: string;
}

export function keyPair(comment = 'cac-test'): KeyPair {
  const pair = utils.generateKeyPairSync('ed25519', { comment });
  return { privateKey: pair.private, publicKey: pair.public.trim() };
}

// an inner dockerd needs these (--privileged fails on hosts whose capability set lacks CAP_SYS_RESOURCE)
const DIND = ['--cap-add', 'ALL', '--cap-drop', 'SYS_RESOURCE', '--security-opt', 'seccomp=unconfined', '--security-opt', 'apparmor=unconfined', '--security-opt', 'systempaths=unconfined'];

/** Starts `n` box containers (sshd, user cac) that authorize `authorizedKey`; resolves once sshd answers. */
export async function startBoxHosts(n: number, opts: { authorizedKey: string; dockerd?: boolean }): Promise<SshTarget[]> {
  const ids = await Promise.all(
    Array.from({ length: n }, async () => {
      const flags = opts.dockerd ? [...DIND, '-e', 'BOX_DOCKERD=1'] : ['-e', 'BOX_DOCKERD=0'];
      const args = ['run', '-d', '--label', `cac.test-run=${RUN}`, '--label', 'cac.test-role=fleet-host', ...flags, '-p', '127.0.0.1:0:22', '-e', 'CAC_AUTHORIZED_KEYS', BOX_IMAGE];
      return (await docker(args, { CAC_AUTHORIZED_KEYS: opts.authorizedKey })).stdout.trim();
    }),
  );
  return Promise.all(ids.map(waitForSshd));
}

/** The container's published SSH port and host key (read over docker exec: the trusted channel), once sshd answers. */
async function waitForSshd(id: string): Promise<SshTarget> {
  for (let i = 0; i < 300; i++) {
    const port = await docker(['port', id, '22/tcp']).then(
      (r) => /127\.0\.0\.1:(\d+)/.exec(r.stdout)?.[1],
      () => undefined,
    );
    const key = await docker(['exec', id, 'cat', '/etc/ssh/ssh_host_ed25519_key.pub']).then(
      (r) => r.stdout.trim().split(/\s+/).slice(0, 2).join(' '),
      () => '',
    );
    const banner = port
      ? await run('bash', ['-c', 'exec 3<>/dev/tcp/127.0.0.1/$1; head -c 4 <&3', '_', port], { timeout: 2000 }).then(
          (r) => r.stdout,
          () => '',
        )
      : '';
    if (port && key.startsWith('ssh-ed25519 ') && banner === 'SSH-') return { host: '127.0.0.1', port: Number(port), user: 'cac', hostKey: key };
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`fleet host ${id.slice(0, 12)} did not start sshd`);
}

/** Runs a command in a container of this run (a fleet host) as the login user. */
export async function execIn(target: SshTarget, script: string): Promise<string> {
  const { stdout } = await docker(['ps', '-q', '--filter', `label=cac.test-run=${RUN}`, '--filter', `publish=${target.port}`]);
  const id = stdout.trim().split('\n')[0] ?? '';
  return (await docker(['exec', '-u', target.user, id, 'bash', '-c', script])).stdout;
}
