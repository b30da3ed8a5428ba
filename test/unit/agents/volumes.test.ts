// Agent volumes: what a new dev container mounts (read-only volumes of the pinned versions, every
// platform), what is filled first from the tar cache, and how injection decides between linking the
// volume's binary, falling back to the tar cache (no volume mounted) and warning (a broken volume).
import { describe, expect, it } from 'vitest';
import { inject } from '../../../src/core/agents/inject.js';
import { effectiveAgent } from '../../../src/core/agents/effective-config.js';
import { mountArg, planAgentVolumes, wantedAgents } from '../../../src/core/agents/volumes.js';
import { dataNameOf, isVolumeKey, volumeNameOf, volumeTarget } from '../../../src/domain/agent-volume.js';
import { up, start, rebuild } from '../../../src/core/lifecycle/up.js';
import type { AgentVolume } from '../../../src/ports/agent-volumes.js';
import { config, FakeDocker, HOME, makeDeps, MemAgentCache, MemFiles, target } from '../../fakes/agents.js';
import { FakeEngine } from '../../fakes/engine.js';
import { recordingReporter } from '../../fakes/reporter.js';

const KEY = { kind: 'codex', version: '0.171.0', platform: 'x86_64-gnu' } as const;
const vol = (k: { kind: 'codex' | 'claude'; version: string; platform: string }): AgentVolume => ({ ...k, name: volumeNameOf(k), data: dataNameOf(k) });

describe('agent volume planning', () => {
  it('names, paths and the --mount value the devcontainer CLI accepts (its pattern, no read-only flag: the volume itself is)', () => {
    expect(volumeNameOf(KEY)).toBe('cac-agent-codex-0.171.0-x86_64-gnu');
    expect(dataNameOf(KEY)).toBe('cac-agent-codex-0.171.0-x86_64-gnu-data');
    expect(volumeTarget(KEY)).toBe('/opt/cac-agents/codex-0.171.0-x86_64-gnu');
    const arg = mountArg(vol(KEY));
    expect(arg).toBe('type=volume,source=cac-agent-codex-0.171.0-x86_64-gnu,target=/opt/cac-agents/codex-0.171.0-x86_64-gnu,external=true');
    expect(arg).toMatch(/^type=(bind|volume),source=([^,]+),target=([^,]+)(?:,external=(true|false))?$/);
  });

  it('refuses keys that could name another volume or path', () => {
    expect(isVolumeKey(KEY)).toBe(true);
    expect(isVolumeKey({ ...KEY, version: '1.0.0,readonly=false' })).toBe(false);
    expect(isVolumeKey({ ...KEY, platform: '../x-gnu' })).toBe(false);
    expect(isVolumeKey({ ...KEY, kind: 'evil' as 'codex' })).toBe(false);
  });

  it('mounts every platform of the pinned versions only, and fills the cached ones with no volume yet', () => {
    const musl = { ...KEY, platform: 'x86_64-musl' };
    const plan = planAgentVolumes(
      [{ kind: 'codex', version: '0.171.0' }],
      [vol(KEY), vol({ ...KEY, version: '0.1.0' }), vol({ kind: 'claude', version: '0.171.0', platform: 'x86_64-gnu' })],
      [KEY, musl, { ...KEY, version: '0.2.0' }],
    );
    expect(plan.mount.map((v) => v.name)).toEqual(['cac-agent-codex-0.171.0-x86_64-gnu']);
    expect(plan.fill).toEqual([musl]);
  });

  it('nothing wanted: nothing mounted or filled', () => {
    expect(planAgentVolumes([], [vol(KEY)], [KEY])).toEqual({ mount: [], fill: [] });
  });

  it('wants enabled npm agents that install, at the pinned version or the recorded "latest" (never a registry round trip)', () => {
    const agents = config({}, { codex: { enabled: true }, claude: { enabled: true, version: 'latest' } });
    const all = (['codex', 'claude', 'gemini'] as const).map((k) => effectiveAgent(k, agents, { HOME }, HOME));
    expect(wantedAgents(all, {})).toEqual([{ kind: 'codex', version: '0.171.0' }]);
    expect(wantedAgents(all, { '@anthropic-ai/claude-code': { version: '2.0.1' } })).toEqual([
      { kind: 'codex', version: '0.171.0' },
      { kind: 'claude', version: '2.0.1' },
    ]);
    const noInstall = config({}, { codex: { enabled: true, install: false } });
    expect(wantedAgents([effectiveAgent('codex', noInstall, { HOME }, HOME)], {})).toEqual([]);
  });
});

describe('up mounts the agent volumes of a container it creates', () => {
  function setup(noAgents = false) {
    const engine = new FakeEngine();
    const { reporter } = recordingReporter();
    const planned: number[] = [];
    const deps = {
      engine,
      reporter,
      now: () => 0,
      agents: async () => [],
      agentMounts: async () => {
        planned.push(1);
        return [mountArg(vol(KEY))];
      },
    };
    return { engine, deps, planned, opts: { noAgents } };
  }
  const ws = { folder: '/w', configFile: '/w/.devcontainer/devcontainer.json' };

  it('up and rebuild pass the mounts; start (never creates) and --no-agents plan none', async () => {
    const s = setup();
    await up(s.deps, ws);
    await rebuild(s.deps, ws);
    await start(s.deps, ws);
    expect(s.engine.calls.filter((c) => c.startsWith('up'))).toEqual([`up --mount ${mountArg(vol(KEY))}`, `up:remove --mount ${mountArg(vol(KEY))}`, 'up:expect']);
    const bare = setup(true);
    await up(bare.deps, ws, bare.opts);
    expect(bare.engine.calls.filter((c) => c.startsWith('up'))).toEqual(['up']);
    expect(bare.planned).toEqual([]);
  });
});

describe('injection with agent volumes', () => {
  function codexMissing() {
    const files = new MemFiles({ [`${HOME}/.codex/auth.json`]: '{}' });
    const docker = new FakeDocker();
    docker.platform = 'x86_64-gnu';
    const cache = new MemAgentCache();
    cache.entries.set('codex/0.171.0/x86_64-gnu', Buffer.from('the prefix'));
    const agents = config({}, { codex: { enabled: true } });
    return { docker, cache, ...makeDeps({ agents, files, docker, cache, volumes: true }) };
  }

  it('a mounted volume: the binary is linked, probed and ~/.local/bin put on PATH in the one injection exec, no tar stream, no npm', async () => {
    const { deps, docker } = codexMissing();
    docker.volumes.set(volumeTarget(KEY), { broken: false });
    const [r] = await inject(deps, target, { event: 'start' });
    expect(docker.calls.map((c) => c.what)).toEqual(['inject']);
    const script = docker.of('inject')[0]?.argv.at(-1) ?? '';
    expect(script).toContain(`cac_vlink codex ${volumeTarget({ ...KEY, platform: '' })}"$cac_plat" codex\n`);
    expect(script).toContain('ln -sfn "$cac_v/bin/$cac_n" "$h/.local/bin/$cac_n"');
    // the link comes before finishing, which writes the env file's PATH line with nothing forwarded
    expect(script.indexOf('cac_vlink codex')).toBeLessThan(script.indexOf('\ncac_finish\n'));
    expect(script).not.toMatch(/if cac_inside "\$h"\/\S+ && \[ -f /);
    expect(docker.of('inject')[0]?.stdin).toBeUndefined();
    expect(r).toMatchObject({ status: 'ok', installed: true, installedFrom: 'volume', warnings: [] });
  });

  it('a forwarded value reaches the linking exec through its environment, never its command line', async () => {
    const files = new MemFiles({ [`${HOME}/.codex/auth.json`]: '{}' });
    const docker = new FakeDocker();
    docker.platform = 'x86_64-gnu';
    docker.volumes.set(volumeTarget(KEY), { broken: false });
    const agents = config({}, { codex: { enabled: true, env_forward: ['OPENAI_API_KEY'] } });
    const { deps } = makeDeps({ agents, files, docker, cache: new MemAgentCache(), volumes: true, env: { OPENAI_API_KEY: 'sk-canary-1234' } });
    const [r] = await inject(deps, target, { event: 'start' });
    expect(r).toMatchObject({ status: 'ok', installedFrom: 'volume', warnings: [] });
    expect(docker.calls.map((c) => c.what)).toEqual(['inject']);
    expect(docker.of('inject')[0]?.env).toMatchObject({ OPENAI_API_KEY: 'sk-canary-1234' });
    for (const c of docker.calls) expect(c.argv.join(' ')).not.toContain('sk-canary-1234');
  });

  it('no volume mounted (an older container): the tar cache restores it, with no warning and no second link attempt', async () => {
    const { deps, docker } = codexMissing();
    const [r] = await inject(deps, target, { event: 'start' });
    expect(docker.calls.map((c) => c.what)).toEqual(['inject', 'cache', 'finish']);
    expect(docker.of('cache').map((c) => c.argv.at(-1)?.split('\n')[0])).toEqual(['# cac agents: cached install codex restore']);
    expect(docker.of('cache')[0]?.stdin?.toString()).toBe('the prefix');
    expect(r).toMatchObject({ status: 'ok', installed: true, installedFrom: 'cache', warnings: [] });
  });

  it('the agent already in the image: nothing linked, no install', async () => {
    const { deps, docker } = codexMissing();
    docker.volumes.set(volumeTarget(KEY), { broken: false });
    docker.bins.codex = '/usr/local/bin/codex';
    const [r] = await inject(deps, target, { event: 'start' });
    expect(docker.calls.map((c) => c.what)).toEqual(['inject']);
    expect(r).toMatchObject({ status: 'ok', installed: false, warnings: [] });
    expect(r?.installedFrom).toBeUndefined();
  });

  it('a "latest" pin: no link in the one exec (resolving waits for an install), the link exec as before', async () => {
    const files = new MemFiles({ [`${HOME}/.codex/auth.json`]: '{}' });
    const docker = new FakeDocker();
    docker.platform = 'x86_64-gnu';
    const cache = new MemAgentCache();
    cache.latest = '0.171.0';
    docker.volumes.set(volumeTarget(KEY), { broken: false });
    const agents = config({}, { codex: { enabled: true, version: 'latest' } });
    const { deps } = makeDeps({ agents, files, docker, cache, volumes: true });
    const [r] = await inject(deps, target, { event: 'start' });
    expect(docker.of('inject')[0]?.argv.at(-1)).not.toContain('cac_vlink codex');
    expect(docker.calls.map((c) => c.what)).toEqual(['inject', 'cache']);
    expect(r).toMatchObject({ status: 'ok', installedFrom: 'volume', warnings: [] });
  });

  it('a broken volume (its --version fails): a warning, and the tar cache restores it', async () => {
    const { deps, docker } = codexMissing();
    docker.volumes.set(volumeTarget(KEY), { broken: true });
    const [r] = await inject(deps, target, { event: 'start' });
    expect(r).toMatchObject({ status: 'warning', installed: true, installedFrom: 'cache' });
    expect(r?.warnings).toEqual([expect.stringMatching(/^the agent volume of codex 0\.171\.0 \(x86_64-gnu\) failed its check \(exit 126; `--version` printed "cannot execute"\); not used$/)]);
    expect(docker.calls.map((c) => c.what)).toEqual(['inject', 'cache', 'finish']);
  });
});
