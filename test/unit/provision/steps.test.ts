// The SshProvisioner's steps on fakes of our ports: what runs on the box, in which order, over how many
// connections, and what is refused before anything runs.
import { describe, expect, it } from 'vitest';
import { provisionBox, runSteps } from '../../../src/core/provision/pipeline.js';
import { preparedConfigHash } from '../../../src/core/boxes/prepared.js';
import { repoDelivery } from '../../../src/core/provision/delivery.js';
import { EnvInjector } from '../../../src/core/provision/env.js';
import { repoFolder, repoName } from '../../../src/core/provision/box-workspace.js';
import { generatedConfigText } from '../../../src/core/lifecycle/default-image.js';
import type { Box, BoxWorkspace } from '../../../src/domain/box.js';
import type { Host } from '../../../src/ports/host.js';
import { CacError } from '../../../src/errors.js';
import { FakeVmDriver } from '../../fakes/boxes.js';
import { config, FakeDocker, HOME, makeDeps, MemAgentVolumes, MemFiles } from '../../fakes/agents.js';
import { LIST_AGENT_DIRS } from '../../../src/core/provision/agent-volumes.js';
import { FAKE_COMMIT, type FakeBoxHost, provisionHarness } from '../../fakes/provision.js';

type Harness = ReturnType<typeof provisionHarness>;

function provision(h: Harness, box: Box, envPayload?: string) {
  const deps = { store: h.store, driver: new FakeVmDriver(), steps: h.provisioner.steps(), now: h.clock.now, reporter: h.deps.reporter, settle: h.provisioner.settle };
  return provisionBox(deps, box.id, envPayload !== undefined ? { envPayload } : {});
}

/** The fake box Host the provisioner will use for `box` (opened now, reused by the steps). */
const boxHost = async (h: Harness, box: Box) => (await h.connections.get(box)) as FakeBoxHost;

const stepNames = (b: Box | null) => b?.steps.map((s) => [s.name, s.ok]);

describe('the provisioning steps after ssh_ready', () => {
  it('a pool box: the branch and base pushed as a bundle, the CLI, the preload, devcontainer up labelled with the box; one connection, closed at the end', async () => {
    const h = provisionHarness();
    const box = await h.box({ repoUrl: '/srv/git/app.git' });
    const r = await provision(h, box);
    expect(r.outcome, JSON.stringify(r)).toBe('standby');
    expect(stepNames(r.box)).toEqual([
      ['repo', true],
      ['devcontainer', true],
    ]);
    expect(h.hosts).toHaveLength(1);
    const host = h.hosts[0]!;
    expect(host.closed).toBe(1);
    // the prepared-images check (its own test below) runs alongside
    const prepared = new Set(['prepared-marker', 'config-objects']);
    expect(host.calls.map((c) => c.what).filter((w) => !prepared.has(w))).toEqual(['push-fetch', 'checkout', 'ensure-cli', 'docker', 'docker', 'test', 'cat', 'show-at', 'objects-at']);
    expect(host.calls.map((c) => c.what).filter((w) => prepared.has(w))).toEqual(['prepared-marker', 'config-objects']);
    const fetch = host.ran('push-fetch')[0]!;
    expect(fetch.argv.slice(3)).toEqual(['sh', `cac/${box.id}/app`, '/srv/git/app.git', 'main']);
    expect(fetch.stdin).toBe('bundle:/srv/git/app.git:main');
    expect(h.source.disposed).toBe(1);
    expect(host.ran('checkout')[0]?.argv.slice(4)).toEqual([`/home/cac/cac/${box.id}/app`, 'main']);
    expect(h.images.saved).toEqual(['cac-test/base:bookworm']);
    expect(host.calls.filter((c) => c.what === 'docker').map((c) => c.argv.slice(1, 3))).toEqual([
      ['image', 'inspect'],
      ['load', '--quiet'],
    ]);
    expect(h.engine.calls.filter((c) => c !== 'find')).toEqual(['up']);
    const container = [...h.engine.containers.values()][0];
    expect(container?.workspace).toBe(`/home/cac/cac/${box.id}/app`);
    expect(r.box?.workspace).toEqual({
      folder: `/home/cac/cac/${box.id}/app`,
      branch: 'main',
      configFile: `/home/cac/cac/${box.id}/app/.devcontainer/devcontainer.json`,
      cli: '/usr/local/bin/devcontainer',
      containerId: container?.id ?? null,
      remoteUser: 'dev',
      remoteWorkspaceFolder: '/workspaces/w',
    } satisfies BoxWorkspace);
  });

  it('a cold box for another branch gets both branches; its .env is the last step, run only with a payload', async () => {
    const env = new EnvInjector({ withDecrypted: async (_e, fn) => fn(Buffer.from('TOKEN=canary-env-1\n')) });
    const h = provisionHarness({ env });
    const box = await h.box({ repoUrl: 'file:///srv/git/app', branch: 'fix-1', claimant: 'bob' });
    const r = await provision(h, box, 'cac:v1:00000000:AAAA');
    expect(r.outcome).toBe('ready');
    expect(stepNames(r.box)).toEqual([
      ['repo', true],
      ['devcontainer', true],
      ['env', true],
    ]);
    expect(h.source.bundles).toEqual(['bundle:file:///srv/git/app:fix-1,main']);
    expect(h.hosts[0]?.ran('checkout')[0]?.argv.at(-1)).toBe('fix-1');
    expect(h.hosts[0]?.ran('write-env').map((c) => c.stdin)).toEqual(['TOKEN=canary-env-1\n']);
    // no payload (a pool box): the env step is neither run nor recorded
    const pool = await provision(h, await h.box());
    expect(stepNames(pool.box)).toEqual([
      ['repo', true],
      ['devcontainer', true],
    ]);
  });

  it.each([
    ['main; touch pwned', 'contains a space'],
    ['main\ntouch pwned', 'control character'],
    ['-rf', 'must not start with "-"'],
  ])('a hostile branch %j on the record is refused before anything runs on the box', async (branch, why) => {
    const h = provisionHarness();
    const box = await h.box({ branch, claimant: 'eve' });
    const r = await provision(h, box);
    expect(r.outcome).toBe('failed');
    expect(r.outcome === 'failed' && r.error).toContain(why);
    expect(h.hosts.flatMap((x) => x.calls)).toEqual([]);
    expect(h.source.bundles).toEqual([]);
  });

  it('branch names git allows but a shell would run ($(id), quotes, backticks) travel as single arguments, never in a script', async () => {
    for (const branch of ['$(id)', 'it\'s"q', '`touch${IFS}pwned`']) {
      const h = provisionHarness();
      const r = await provision(h, await h.box({ branch, claimant: 'eve', repoUrl: '/srv/app' }));
      expect(r.outcome).toBe('ready');
      for (const c of h.hosts[0]!.calls) expect(c.argv[2] ?? '', c.what).not.toContain(branch);
      expect(h.hosts[0]?.ran('checkout')[0]?.argv.at(-1)).toBe(branch);
    }
  });

  it('a repo without a devcontainer config fails the devcontainer step with ERR_NO_DEVCONTAINER: the box is failed', async () => {
    const h = provisionHarness();
    const box = await h.box();
    (await boxHost(h, box)).devcontainerJson = undefined;
    const r = await provision(h, box);
    expect(r.outcome).toBe('failed');
    expect(r.box?.state).toBe('failed');
    expect(r.outcome === 'failed' && r.error).toMatch(/^devcontainer: no devcontainer\.json for \/home\/cac\/cac\/box_\w+\/app/);
    expect(stepNames(r.box)).toEqual([
      ['repo', true],
      ['devcontainer', false],
    ]);
    expect(h.engine.calls).toEqual([]);
  });

  it('a repo without a devcontainer config and [boxes] default_image: a config naming the image is written next to the checkout (never in it), the box is standby', async () => {
    const h = provisionHarness({ defaultImage: 'cac-test/base:bookworm' });
    const box = await h.box();
    (await boxHost(h, box)).devcontainerJson = undefined;
    const r = await provision(h, box);
    expect(r.outcome, JSON.stringify(r)).toBe('standby');
    const generated = `/home/cac/cac/${box.id}/.cac/devcontainer.json`;
    const writes = h.hosts[0]!.ran('write-file');
    expect(writes.map((c) => [c.argv.at(-1), c.stdin])).toEqual([[generated, generatedConfigText('cac-test/base:bookworm')]]);
    const container = [...h.engine.containers.values()][0];
    expect([container?.workspace, container?.configFile, container?.generatedConfig]).toEqual([`/home/cac/cac/${box.id}/app`, generated, true]);
    expect(r.box?.workspace).toMatchObject({ folder: `/home/cac/cac/${box.id}/app`, configFile: generated, generatedImage: 'cac-test/base:bookworm' });
  });

  it('preloading is skipped when the box holds the same image id; a missing local image or a box without Node fail clearly', async () => {
    const same = provisionHarness();
    const box = await same.box();
    (await boxHost(same, box)).images.set('cac-test/base:bookworm', 'sha256:base');
    expect((await provision(same, box)).outcome).toBe('standby');
    expect(same.images.saved).toEqual([]);

    const missing = provisionHarness({ preloadImages: ['acme/private:1'] });
    const r = await provision(missing, await missing.box());
    expect(r.outcome === 'failed' && r.error).toBe('devcontainer: preload image acme/private:1 is not in the local engine');

    const noNode = provisionHarness();
    const b = await noNode.box();
    (await boxHost(noNode, b)).answer = (c) => (c.what === 'ensure-cli' ? { exitCode: 3, stdout: '', stderr: 'no node or npm on PATH' } : undefined);
    const nn = await provision(noNode, b);
    expect(nn.outcome === 'failed' && nn.error).toBe('devcontainer: the box cannot run the devcontainer CLI: no node or npm on PATH');
  });

  it("tells whether the box's engine started from the pool's prepared images: fresh (logged), stale (a warning naming the fix), none (silent)", async () => {
    const hash = preparedConfigHash({ configObjects: ['tree-1'], cliVersion: '0.89.0', preloads: ['cac-test/base:bookworm@sha256:base'] });
    const run = async (marker: string) => {
      const h = provisionHarness();
      const box = await h.box();
      (await boxHost(h, box)).answer = (c) =>
        c.what === 'prepared-marker' ? { exitCode: 0, stdout: marker, stderr: '' } : c.what === 'config-objects' ? { exitCode: 0, stdout: 'tree-1\n', stderr: '' } : undefined;
      expect((await provision(h, box)).outcome).toBe('standby');
      return { logs: h.events.flatMap((e) => (e.type === 'info' ? [e.message] : [])), warnings: h.events.flatMap((e) => (e.type === 'warning' ? [`${e.message} | ${e.hint ?? ''}`] : [])) };
    };
    const fresh = await run(JSON.stringify({ configHash: hash, preparedAt: 0 }));
    expect(fresh.logs).toContainEqual(expect.stringMatching(/^box box_\w+: devcontainer from the pool's prepared images \(prepared 1970-01-01T00:00:00\.000Z\)$/));
    expect(fresh.warnings).toEqual([]);
    const stale = await run(JSON.stringify({ configHash: '0123456789abcdef', preparedAt: 0 }));
    expect(stale.warnings).toEqual([expect.stringMatching(/prepared images \(0123456789abcdef\) are for another devcontainer config.*\| run 'cac pool prepare'/)]);
    const none = await run('');
    expect([...none.logs, ...none.warnings].filter((l) => l.includes('prepared'))).toEqual([]);
  });

  it('agents are injected into the box container through the box connection when agents are on', async () => {
    const seen: Host[] = [];
    const docker = new FakeDocker();
    const files = new MemFiles({ [`${HOME}/.codex/auth.json`]: '{"token":"t"}' });
    const { deps: agentDeps, lines } = makeDeps({ agents: config({}, { codex: { enabled: true, install: false } }), files, docker });
    const h = provisionHarness({ agentDeps: (host) => (seen.push(host), agentDeps) });
    const r = await provision(h, await h.box());
    expect(stepNames(r.box)).toEqual([
      ['repo', true],
      ['devcontainer', true],
      ['agents', true],
    ]);
    expect(seen).toEqual([h.hosts[0]]);
    expect(docker.of('inject')).toHaveLength(1);
    expect(docker.containerFiles.has('/home/dev/.codex/auth.json')).toBe(true);
    // a missing agent CLI is a warning, not a failed step
    expect(lines().join('\n')).toContain('codex');
  });
});

describe("the box's agent volumes", () => {
  const CODEX = { kind: 'codex' as const, version: '0.171.0', platform: 'x86_64-gnu' };
  const DIR = '/opt/cac-agents/codex-0.171.0-x86_64-gnu';
  const MOUNT = `type=volume,source=cac-agent-codex-0.171.0-x86_64-gnu,target=${DIR},external=true`;
  /** A box whose read-only agent directories are `dirs` (what LIST_AGENT_DIRS prints), provisioned with `volumes` as its engine's. */
  const withVolumes = async (volumes: MemAgentVolumes, dirs: string, wanted = [{ kind: 'codex' as const, version: '0.171.0' }]) => {
    const seen: Host[] = [];
    const h = provisionHarness({ agentVolumes: { volumesOn: (host) => (seen.push(host), volumes), wanted: async () => wanted } });
    const box = await h.box();
    const host = await boxHost(h, box);
    host.answer = (c) => (c.argv[2] === LIST_AGENT_DIRS ? { exitCode: 0, stdout: dirs, stderr: '' } : undefined);
    const r = await provision(h, box);
    return { h, r, seen, host, ups: h.engine.calls.filter((c) => c.startsWith('up')) };
  };

  it("a pinned version's directory the box sees read-only gets a read-only view in the box's engine, mounted by devcontainer up", async () => {
    const volumes = new MemAgentVolumes();
    // untrusted names from the box are ignored; another version is not wanted
    const { h, r, seen, host, ups } = await withVolumes(volumes, 'codex-0.100.0-x86_64-gnu\ncodex-0.171.0-x86_64-gnu\n../../etc-1.0.0-x86_64-gnu\ncodex-$(id)-x86_64-gnu\n');
    expect(r.outcome).toBe('standby');
    expect(seen).toEqual([h.hosts[0]]);
    expect(host.calls.find((c) => c.argv[2] === LIST_AGENT_DIRS)?.argv.slice(3)).toEqual(['sh', '/opt/cac-agents']);
    expect([...volumes.adopted]).toEqual([['cac-agent-codex-0.171.0-x86_64-gnu', DIR]]);
    expect(ups).toEqual([`up --mount ${MOUNT}`]);
  });

  it('a view the box engine already has is mounted as it is (nothing adopted again)', async () => {
    const volumes = new MemAgentVolumes();
    await volumes.adopt(CODEX, DIR);
    volumes.adopted.clear();
    const { ups } = await withVolumes(volumes, 'codex-0.171.0-x86_64-gnu\n');
    expect(volumes.adopted.size).toBe(0);
    expect(ups).toEqual([`up --mount ${MOUNT}`]);
  });

  it('no directory on the box (another driver, nothing cached), or no agent wanted: devcontainer up without mounts', async () => {
    expect((await withVolumes(new MemAgentVolumes(), '')).ups).toEqual(['up']);
    const { ups, host } = await withVolumes(new MemAgentVolumes(), 'codex-0.171.0-x86_64-gnu\n', []);
    expect(ups).toEqual(['up']);
    expect(host.calls.some((c) => c.argv[2] === LIST_AGENT_DIRS)).toBe(false);
  });

  it("the box's engine cannot be asked: a warning, and the container is made without them", async () => {
    const volumes = Object.assign(new MemAgentVolumes(), { list: async () => Promise.reject(new Error('Cannot connect to the Docker daemon')) });
    const { h, r, ups } = await withVolumes(volumes, 'codex-0.171.0-x86_64-gnu\n');
    expect(r.outcome).toBe('standby');
    expect(ups).toEqual(['up']);
    expect(h.events).toContainEqual(expect.objectContaining({ type: 'warning', message: expect.stringContaining('agent volumes not used: Cannot connect to the Docker daemon') }));
  });
});

describe('after a warm claim', () => {
  async function claimedAt(h: Harness, checkedOut: string, requested: string): Promise<Box> {
    const r = await provision(h, await h.box());
    const box = r.box!;
    const claimed = await h.store.claimStandby(box.poolKey, { claimant: 'bob', leaseMs: 60_000, now: h.clock.now() });
    const at = { ...box.workspace!, branch: checkedOut };
    return (await h.store.update(claimed!.id, { patch: { branch: requested, workspace: at }, now: h.clock.now() }))!;
  }

  it('the same branch: nothing runs (switch and env skipped, no connection)', async () => {
    const h = provisionHarness();
    const box = await claimedAt(h, 'main', 'main');
    const before = h.hosts.length;
    const r = await runSteps({ store: h.store, now: h.clock.now, reporter: h.deps.reporter }, { box, signal: new AbortController().signal }, h.provisioner.afterClaim(), 'claimed');
    expect('ok' in r && r.ok).toBe(true);
    expect(h.store.box(box.id).steps.map((s) => s.name)).toEqual(['repo', 'devcontainer']);
    expect(h.hosts.length).toBe(before);
  });

  const afterClaim = (h: Harness, box: Box, envPayload?: string) =>
    runSteps(
      { store: h.store, now: h.clock.now, reporter: h.deps.reporter },
      { box, signal: new AbortController().signal, ...(envPayload ? { envPayload } : {}) },
      h.provisioner.afterClaim(),
      'claimed',
    );

  it('another branch with the same devcontainer config: fetched, compared, checked out and hashed in ONE exec, the container kept', async () => {
    const h = provisionHarness();
    const box = await claimedAt(h, 'main', 'feature');
    h.engine.calls.length = 0;
    const host = await boxHost(h, box);
    host.calls.length = 0;
    const r = await afterClaim(h, box);
    expect('ok' in r && r.ok).toBe(true);
    const after = h.store.box(box.id);
    expect(after.steps.map((s) => s.name)).toEqual(['repo', 'devcontainer', 'switch']);
    expect(after.workspace).toEqual({ ...box.workspace, branch: 'feature' });
    expect(after).toMatchObject({ commit: FAKE_COMMIT, head: null, configHash: expect.stringMatching(/^[0-9a-f]{16}$/) });
    // one round trip to the box: no separate fetch, compare, checkout or hash reads
    expect(host.calls.map((c) => c.what)).toEqual(['switch']);
    const folder = box.workspace!.folder;
    expect(host.calls[0]?.argv.slice(4)).toEqual([
      'clone',
      folder,
      'feature',
      '.devcontainer/devcontainer.json',
      '3',
      '.devcontainer',
      '.devcontainer.json',
      '.devcontainer/devcontainer.json',
      '.devcontainer',
      '.',
    ]);
    expect(h.engine.calls).toEqual([]);
  });

  it('push delivery: the bundle of the branch is the stdin of that one exec, and removed after; the .env is one more exec', async () => {
    const h = provisionHarness({ delivery: 'push', env: new EnvInjector({ withDecrypted: async (_e, fn) => fn(Buffer.from('A=1\n')) }) });
    const box = await claimedAt(h, 'main', 'feature');
    const host = await boxHost(h, box);
    host.calls.length = 0;
    const disposed = h.source.disposed;
    const r = await afterClaim(h, box, 'cac-env:v1:x');
    expect('ok' in r && r.ok).toBe(true);
    expect(host.calls.map((c) => c.what)).toEqual(['switch', 'write-env']);
    expect(host.calls[0]?.argv[4]).toBe('push');
    expect(host.calls[0]?.stdin).toBe(`bundle:${box.repoUrl}:feature`);
    expect(h.source.disposed).toBe(disposed + 1);
    expect(h.store.box(box.id).steps.map((s) => s.name)).toEqual(['repo', 'devcontainer', 'switch', 'env']);
  });

  it('push delivery: the exec (connection, login, script) starts while the bundle is made here; a bundle that cannot be made is the error, the box gets an empty stdin', async () => {
    const h = provisionHarness({ delivery: 'push' });
    const box = await claimedAt(h, 'main', 'feature');
    const host = await boxHost(h, box);
    let release!: (e?: Error) => void;
    h.source.ready = new Promise((ok, fail) => (release = (e) => (e ? fail(e) : ok())));
    const started = host.started;
    const running = afterClaim(h, box);
    await new Promise((r) => setTimeout(r, 10));
    expect(host.started).toBe(started + 1);
    release();
    expect(await running).toMatchObject({ ok: true });
    expect(host.calls.at(-1)?.stdin).toBe(`bundle:${box.repoUrl}:feature`);

    const again = provisionHarness({ delivery: 'push' });
    const other = await claimedAt(again, 'main', 'feature');
    const otherHost = await boxHost(again, other);
    again.source.ready = Promise.reject(new CacError('ERR_REPO_BRANCH', `branch feature is not in ${other.repoUrl}`));
    const r = await afterClaim(again, other);
    expect('ok' in r && !r.ok && r.error).toBe(`switch: branch feature is not in ${other.repoUrl}`);
    expect(otherHost.calls.at(-1)).toMatchObject({ what: 'switch', stdin: '' });
  });

  it('a failed switch names the git operation that failed: the fetch, or the checkout', async () => {
    const failing = async (stdout: string, delivery?: 'push') => {
      const h = provisionHarness(delivery ? { delivery } : {});
      const box = await claimedAt(h, 'main', 'feature');
      (await boxHost(h, box)).answer = (c) => (c.what === 'switch' ? { exitCode: 128, stdout, stderr: 'fatal: it broke\n' } : undefined);
      const r = await afterClaim(h, box);
      return 'ok' in r && !r.ok ? r.error : 'passed';
    };
    expect(await failing('')).toMatch(/^switch: git fetch of \S+ failed on the box \(exit 128\): fatal: it broke$/);
    expect(await failing('', 'push')).toMatch(/^switch: fetching the bundle of \S+ failed on the box \(exit 128\): fatal: it broke$/);
    expect(await failing('fetched\nsame\n')).toBe('switch: git checkout feature failed on the box (exit 128): fatal: it broke');
  });

  it('another branch with a changed devcontainer config: the container is rebuilt', async () => {
    const h = provisionHarness();
    const box = await claimedAt(h, 'main', 'feature');
    (await boxHost(h, box)).configChanged = true;
    h.engine.calls.length = 0;
    await afterClaim(h, box);
    expect(h.engine.calls.filter((c) => c !== 'find')).toEqual(['up:remove']);
    expect(h.store.box(box.id).workspace?.branch).toBe('feature');
  });
});

describe('repo delivery and the checkout folder', () => {
  it.each([
    ['/srv/git/app.git', undefined, 'push'],
    ['file:///srv/git/app', undefined, 'push'],
    ['FILE:///srv/git/app', undefined, 'push'],
    ['https://example.test/acme/app.git', undefined, 'clone'],
    ['git@example.test:acme/app.git', undefined, 'clone'],
    ['ssh://git@example.test/acme/app.git', undefined, 'clone'],
    ['https://example.test/acme/app.git', 'push', 'push'],
    ['file:///srv/git/app', 'clone', 'clone'],
  ] as const)('%s with repo_delivery %s → %s', (url, configured, expected) => {
    expect(repoDelivery(url, configured)).toBe(expected);
  });

  it.each([
    ['https://example.test/acme/app.git', 'app'],
    ['git@example.test:acme/my-app.git', 'my-app'],
    ['file:///srv/git/app/', 'app'],
    ['/srv/x/.hidden.git', 'hidden'],
    ['https://example.test/acme/we!rd%20name', 'we-rd-20name'],
    ['file:///', 'repo'],
  ])('repoName(%s) = %s', (url, name) => {
    expect(repoName(url)).toBe(name);
    expect(repoFolder({ id: 'box_000000000001', repoUrl: url })).toBe(`cac/box_000000000001/${name}`);
  });
});

describe('the freshen step after a warm claim', () => {
  const NEW = 'e1'.repeat(20);
  /** A pool box provisioned (at FAKE_COMMIT), claimed for its base branch `ageMs` after its last head check. */
  async function claimedAfter(h: Harness, ageMs: number): Promise<Box> {
    const r = await provision(h, await h.box());
    h.clock.advance(ageMs);
    return (await h.store.claimStandby(r.box!.poolKey, { claimant: 'bob', leaseMs: 60_000, now: h.clock.now() }))!;
  }
  const run = (h: Harness, box: Box) => runSteps({ store: h.store, now: h.clock.now, reporter: h.deps.reporter }, { box, signal: new AbortController().signal }, h.provisioner.afterClaim(), 'claimed');

  it('a box checked at head within max_staleness (60 s by default) is handed out as it is: no head read, no connection', async () => {
    const h = provisionHarness();
    const box = await claimedAfter(h, 59_000);
    expect(box.head).toMatchObject({ commit: FAKE_COMMIT, behind: 0 });
    const before = h.hosts.length;
    expect('ok' in (await run(h, box))).toBe(true);
    expect(h.source.headReads).toBe(0);
    expect(h.hosts.length).toBe(before);
  });

  it('older than max_staleness and still at head: one head read here, the check recorded, nothing on the box', async () => {
    const h = provisionHarness({ maxStalenessMs: () => 1_000 });
    const box = await claimedAfter(h, 2_000);
    h.source.heads.set('main', FAKE_COMMIT);
    const before = h.hosts.length;
    await run(h, box);
    expect(h.source.headReads).toBe(1);
    expect(h.hosts.length).toBe(before);
    expect(h.store.box(box.id)).toMatchObject({ commit: FAKE_COMMIT, head: { commit: FAKE_COMMIT, behind: 0, at: h.clock.now() } });
    expect(h.store.box(box.id).steps.map((s) => s.name)).toEqual(['repo', 'devcontainer', 'freshen']);
  });

  it('behind: fetched, read and fast-forwarded on the box in three execs, then the container’s updateContentCommand run; the new commit recorded', async () => {
    const h = provisionHarness({ maxStalenessMs: () => 1_000 });
    const box = await claimedAfter(h, 2_000);
    h.source.heads.set('main', NEW);
    const host = await boxHost(h, box);
    host.fetchedHead = NEW;
    host.answer = (c) => {
      if (c.what === 'fast-forward') return { exitCode: 0, stdout: `${NEW}\n`, stderr: '' };
      if (c.what === 'docker' && c.argv[1] === 'inspect') return { exitCode: 0, stdout: `${JSON.stringify([{ updateContentCommand: 'npm ci' }])}\n`, stderr: '' };
      return undefined;
    };
    h.engine.calls.length = 0;
    const r = await run(h, box);
    expect('ok' in r && r.ok).toBe(true);
    // the fetch, both heads and the config reads at the new head in one exec; then the fast-forward and the label
    expect(host.calls.map((c) => c.what)).toEqual(['head-read', 'fast-forward', 'docker']);
    expect(h.engine.calls).toEqual(['exec:/bin/sh -c npm ci']);
    expect(h.store.box(box.id)).toMatchObject({ commit: NEW, head: { commit: NEW, behind: 0 } });
  });

  it('a failing updateContentCommand fails the step (and so the claim) with the command’s exit', async () => {
    const h = provisionHarness({ maxStalenessMs: () => 1_000 });
    const box = await claimedAfter(h, 2_000);
    h.source.heads.set('main', NEW);
    const host = await boxHost(h, box);
    host.fetchedHead = NEW;
    host.answer = (c) => {
      if (c.what === 'docker' && c.argv[1] === 'inspect') return { exitCode: 0, stdout: JSON.stringify([{ updateContentCommand: ['false', '3'] }]), stderr: '' };
      return undefined;
    };
    const r = await run(h, box);
    expect('ok' in r && !r.ok && r.error).toMatch(/^freshen: updateContentCommand failed in box .* \(exit 3\)/);
  });
});
