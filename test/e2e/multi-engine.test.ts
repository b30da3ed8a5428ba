// Several hosts, one pool, two real Docker engines (README "Several hosts, one pool"), through bin/cac:
// host A uses the machine's engine; host B's engine is the box image's own dockerd in a container of its
// own (reached with DOCKER_HOST on a unix socket in a bind-mounted dir), its boxes' SSH published on that
// container's address (`[boxes.docker] ssh_host`). One real Redis; each host reconciles its own pool and
// claims warm from the other's; each reconcile keeps the other host's boxes (they are invisible to its
// engine, never "VM gone"); `box ssh` works from both; a release from the other host leaves the VM to its
// own host's orphan sweep. bin/cac always uses the key prefix `cac:`, so this file has Redis database 13.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateKey } from '../../src/core/secrets/keys.js';
import { boxCli, type BoxDoc, poolToml, tomlString, writeConfig } from '../helpers/box-cli.js';
import { newRunId, removeRun } from '../helpers/box-run.js';
import { describeWith, engineEnv, infra } from '../helpers/infra.js';
import { dropPrefix } from '../integration/store/redis-prefix.js';

const RUN = newRunId('e2e-engines');
const url = (() => {
  const u = new URL(infra.CAC_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
  u.pathname = '/13';
  return u.toString();
})();
const IMAGE = infra.CAC_TEST_BOX_IMAGE ?? 'cac-test/box:bookworm';
const POOL_A = 'https://example.test/acme/engine-a.git';
const POOL_B = 'https://example.test/acme/engine-b.git';
const MASTER_KEY = generateKey();
const DIND_FLAGS = ['--cap-add', 'ALL', '--cap-drop', 'SYS_RESOURCE', '--security-opt', 'seccomp=unconfined', '--security-opt', 'apparmor=unconfined', '--security-opt', 'systempaths=unconfined'];

/** The machine's docker CLI; `host` another engine. */
const docker = (args: string[], host?: string) =>
  execFileSync('docker', args, { env: { ...engineEnv(), ...(host ? { DOCKER_HOST: host } : {}) }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 }).trim();

interface PlacedBox extends BoxDoc {
  vmLocation: { driver: string; engine: string | null } | null;
}
type Round = {
  outcome: string;
  orphans: { destroyVms: Array<{ vmRef: string }>; failBoxes: unknown[] };
  pools: Array<{ poolKey: string; applied: { provisioned: Array<{ id: string; outcome: string }>; failed: string[]; unfit: unknown[] } }>;
};

describeWith(['docker', 'redis'], 'several hosts, one pool, two Docker engines (bin/cac)', () => {
  const engineDir = mkdtempSync(join(tmpdir(), 'cac-engine-b-'));
  const engineB = `unix://${engineDir}/docker.sock`;
  const engineName = `cac-engine-b-${RUN}`;
  const common = { CAC_MASTER_KEY: MASTER_KEY, CAC_BOX_INNER_DOCKER: '0' };
  const hostA = boxCli(RUN, common);
  const hostB = boxCli(RUN, { ...common, DOCKER_HOST: engineB });
  let engineIdA = '';
  let engineIdB = '';
  let fromA: PlacedBox;
  let fromB: PlacedBox;

  beforeAll(async () => {
    await dropPrefix(url, 'cac:');
    // host B's engine: the box image's dockerd, also listening on a socket in a dir this machine sees
    writeFileSync(join(engineDir, 'daemon.json'), JSON.stringify({ hosts: ['unix:///var/run/docker.sock', 'unix:///engine-b/docker.sock'] }));
    docker([
      'run',
      '-d',
      '--name',
      engineName,
      '--label',
      `cac.test-run=${RUN}`,
      ...DIND_FLAGS,
      '-v',
      `${engineDir}:/engine-b`,
      '-v',
      `${engineDir}/daemon.json:/etc/docker/daemon.json:ro`,
      '-v',
      '/var/lib/docker',
      IMAGE,
    ]);
    for (let i = 0; ; i++) {
      try {
        engineIdB = docker(['info', '--format', '{{.ID}}'], engineB);
        break;
      } catch (e) {
        if (i > 120) throw e;
        await sleep(500);
      }
    }
    execFileSync('sh', ['-c', 'docker save "$1" | DOCKER_HOST="$2" docker load -q', 'sh', IMAGE, engineB], { env: engineEnv(), stdio: ['ignore', 'ignore', 'inherit'] });
    engineIdA = docker(['info', '--format', '{{.ID}}']);
    const addressB = docker(['inspect', '--format', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', engineName]);
    const base = `[store]\nurl = ${tomlString(url)}\n\n[boxes]\nprovision = "vm"\nprovision_timeout = "3m"\norphan_grace = "1s"\n`;
    // both engines have the test box image under its test name (engine B got it by docker load above)
    writeConfig(hostA.configFile, `${base}\n[boxes.docker]\nimage = ${tomlString(IMAGE)}\n\n${poolToml(POOL_A, 1, 2)}`);
    writeConfig(hostB.configFile, `${base}\n[boxes.docker]\nimage = ${tomlString(IMAGE)}\nssh_host = ${tomlString(addressB)}\n\n${poolToml(POOL_B, 1, 2)}`);
  }, 600_000);

  afterAll(async () => {
    removeRun(RUN); // host A's boxes and host B's engine (its boxes go with it)
    await dropPrefix(url, 'cac:');
    for (const host of [hostA, hostB]) rmSync(host.home, { recursive: true, force: true });
    rmSync(engineDir, { recursive: true, force: true });
  });

  const show = async (id: string) => (await hostA.json<{ box: PlacedBox }>(['box', 'show', id])).box;
  const reconcile = (host: typeof hostA) => host.json<Round>(['pool', 'reconcile']);
  const poolOf = (r: Round, repo: string) => r.pools.find((p) => p.poolKey === `${repo}#main`);

  it('each host fills its own pool on its own engine; each box records that engine', async () => {
    expect(engineIdB).not.toBe(engineIdA);
    const a = await reconcile(hostA);
    const b = await reconcile(hostB);
    expect(poolOf(a, POOL_A)?.applied.provisioned.map((p) => p.outcome)).toEqual(['standby']);
    expect(poolOf(b, POOL_B)?.applied.provisioned.map((p) => p.outcome)).toEqual(['standby']);
    fromA = await show(poolOf(a, POOL_A)?.applied.provisioned[0]?.id ?? '');
    fromB = await show(poolOf(b, POOL_B)?.applied.provisioned[0]?.id ?? '');
    expect(fromA.vmLocation).toEqual({ driver: 'docker', engine: engineIdA });
    expect(fromB.vmLocation).toEqual({ driver: 'docker', engine: engineIdB });
    expect(docker(['ps', '-q', '--no-trunc', '--filter', `label=cac.box=${fromB.id}`], engineB)).toBe(fromB.vmRef);
    expect(docker(['ps', '-aq', '--filter', `label=cac.box=${fromB.id}`])).toBe('');
  });

  it("each host's reconcile keeps the other host's boxes: none is failed for being invisible to its engine", async () => {
    for (const host of [hostA, hostB, hostA]) {
      const r = await reconcile(host);
      expect(r.orphans.failBoxes).toEqual([]);
      for (const p of r.pools) expect(p.applied).toMatchObject({ failed: [], unfit: [] });
    }
    expect((await hostB.boxes()).map((b) => [b.id, b.state]).sort()).toEqual(
      [
        [fromA.id, 'standby'],
        [fromB.id, 'standby'],
      ].sort(),
    );
    const listed = await hostA.cac(['box', 'list']);
    expect(listed.stdout).toContain(`docker@${engineIdA.slice(0, 14)}`);
    expect(listed.stdout).toContain(`docker@${engineIdB.slice(0, 14)}`);
  });

  it("each host claims warm from the other host's pool; both hosts log in to both boxes", async () => {
    const a = await hostA.json<{ warm: boolean; box: PlacedBox }>(['box', 'request', '--repo', POOL_B, '--for', 'host-a']);
    expect(a).toMatchObject({ warm: true, box: { id: fromB.id, state: 'ready' } });
    const b = await hostB.json<{ warm: boolean; box: PlacedBox }>(['box', 'request', '--repo', POOL_A, '--for', 'host-b']);
    expect(b).toMatchObject({ warm: true, box: { id: fromA.id, state: 'ready' } });
    for (const host of [hostA, hostB]) {
      for (const box of [fromA, fromB]) {
        const r = await host.cac(['box', 'ssh', box.id, '--', 'id', '-un']);
        expect([r.exitCode, r.stdout, r.stderr]).toEqual([0, 'cac\n', '']);
      }
    }
  });

  it("a release from the other host ends the record; the VM's own host removes it in its next reconcile", async () => {
    expect((await hostA.json<{ box: BoxDoc }>(['box', 'release', fromB.id])).box.state).toBe('destroyed');
    await sleep(1500); // past orphan_grace
    const swept = await reconcile(hostB);
    expect(swept.orphans.destroyVms.map((v) => v.vmRef)).toContain(fromB.vmRef);
    expect(docker(['ps', '-aq', '--filter', `label=cac.box=${fromB.id}`], engineB)).toBe('');
    expect((await hostB.json<{ box: BoxDoc }>(['box', 'release', fromA.id])).box.state).toBe('destroyed');
  });
});
