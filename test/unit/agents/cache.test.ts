// Installing pinned npm agent CLIs through the agent cache: a miss installs from the registry into the
// version's prefix and stores it, a hit restores it in one exec with no npm at all, a broken entry is
// dropped and the registry install runs with a warning; "latest" is resolved through the cache.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inject } from '../../../src/core/agents/inject.js';
import { cacheScript, type NpmAgent } from '../../../src/core/agents/cache.js';
import { effectiveAgent } from '../../../src/core/agents/effective-config.js';
import { parseDiscovery } from '../../../src/core/agents/discover.js';
import { config, FakeDocker, HOME, makeDeps, MemAgentCache, MemFiles, target } from '../../fakes/agents.js';

const KEY = { kind: 'codex', version: '0.171.0', platform: 'x86_64-gnu' } as const;

function codexMissing(perAgent: Record<string, unknown> = {}) {
  const files = new MemFiles({ [`${HOME}/.codex/auth.json`]: '{}' });
  const docker = new FakeDocker();
  docker.platform = 'x86_64-gnu';
  const cache = new MemAgentCache();
  const agents = config({}, { codex: { enabled: true, ...perAgent } });
  return { docker, cache, ...makeDeps({ agents, files, docker, cache }) };
}

describe('agent cache', () => {
  it('a miss installs the pinned version from the registry into its prefix, then stores that prefix', async () => {
    const { deps, docker, cache, lines } = codexMissing();
    const [r] = await inject(deps, target, { event: 'start' });
    expect(docker.calls.map((c) => c.what)).toEqual(['inject', 'cache', 'finish']);
    const script = docker.of('cache')[0]?.argv.at(-1) ?? '';
    expect(script).toContain('npm install -g --prefix "$t" --no-fund --no-audit --loglevel=error @openai/codex@0.171.0 )');
    expect(cache.saved).toEqual([{ key: KEY, dir: '/home/dev/.local/lib/cac-agents/codex-0.171.0', containerId: 'c0ffee' }]);
    expect(r).toMatchObject({ agent: 'codex', status: 'ok', installed: true, installedFrom: 'registry' });
    expect(lines()).toContain('codex 0.171.0 (x86_64-gnu) is not cached yet: installing from the registry');
    expect(lines()).toContain('codex: ok (copied 1 file, installed)');
  });

  it('a hit restores the stored prefix in one exec (the tar on stdin), with no npm and no registry', async () => {
    const { deps, docker, cache, lines } = codexMissing();
    cache.entries.set('codex/0.171.0/x86_64-gnu', Buffer.from('the prefix'));
    const [r] = await inject(deps, target, { event: 'start' });
    expect(docker.calls.map((c) => c.what)).toEqual(['inject', 'cache', 'finish']);
    const restore = docker.of('cache')[0];
    expect(restore?.stdin?.toString()).toBe('the prefix');
    expect(restore?.argv.at(-1)).toContain('tar -x -f - -C "$t"');
    for (const c of docker.calls) expect(c.argv.join(' ')).not.toMatch(/npm (i|install)/);
    expect(cache.saved).toEqual([]);
    expect(r).toMatchObject({ status: 'ok', installed: true, installedFrom: 'cache', warnings: [] });
    expect(lines()).toContain('codex: ok (copied 1 file, installed from cache)');
  });

  it('a broken entry (its --version fails) is dropped, the registry install runs, and the agent warns', async () => {
    const { deps, docker, cache } = codexMissing();
    cache.entries.set('codex/0.171.0/x86_64-gnu', Buffer.from('a broken prefix'));
    docker.brokenRestore = true;
    const [r] = await inject(deps, target, { event: 'start' });
    expect(docker.of('cache').map((c) => c.argv.at(-1)?.split('\n')[0])).toEqual(['# cac agents: cached install codex restore', '# cac agents: cached install codex install']);
    expect(cache.dropped).toEqual([KEY]);
    expect(cache.saved.map((s) => s.key)).toEqual([KEY]);
    expect(r).toMatchObject({ status: 'warning', installed: true, installedFrom: 'registry' });
    expect(r?.warnings[0]).toMatch(/^the cached codex 0\.171\.0 \(x86_64-gnu\) failed its check \(exit 0; `--version` printed "not found"\); installed from the registry instead$/);
  });

  it('"latest" is resolved through the cache (once, recorded there) and the exact version keys everything', async () => {
    const { deps, docker, cache } = codexMissing({ version: 'latest' });
    await inject(deps, target, { event: 'start' });
    expect(cache.resolved).toEqual(['@openai/codex@latest']);
    expect(docker.of('cache')[0]?.argv.at(-1)).toContain(' @openai/codex@9.9.9 )');
    expect(cache.saved[0]?.key).toEqual({ ...KEY, version: '9.9.9' });
  });

  it('no platform reported, a custom install_command, or no cache: the plain install as before', async () => {
    const noPlatform = codexMissing();
    noPlatform.docker.platform = undefined;
    await inject(noPlatform.deps, target, { event: 'start' });
    expect(noPlatform.docker.calls.map((c) => c.what)).toEqual(['inject', 'install']);
    const custom = codexMissing({ install_command: 'npm i -g @openai/codex@0.1.0' });
    await inject(custom.deps, target, { event: 'start' });
    expect(custom.docker.calls.map((c) => c.what)).toEqual(['inject', 'install']);
    expect(custom.cache.resolved).toEqual([]);
  });

  it('the scripts: guarded paths, the package quoted, the probe checks the version', () => {
    const agent = effectiveAgent('codex', config({}, { codex: { enabled: true } }), {}, HOME) as NpmAgent;
    const restore = cacheScript(agent, '0.171.0', '/home/dev', 'restore');
    const install = cacheScript(agent, '0.171.0', '/home/dev', 'install');
    expect(restore).not.toContain('npm');
    expect(install).not.toContain('tar -x');
    for (const s of [restore, install]) {
      expect(s).toContain('p="$h"/.local/lib/cac-agents/codex-0.171.0\n');
      expect(s).toContain('cac_inside "$cac_d" ||');
      expect(s).toContain('ln -sfn "$p/bin/$n" "$h/.local/bin/$n"');
      expect(s).toContain('v=$(cac_t "$h/.local/bin/$n" --version </dev/null 2>&1)');
    }
  });

  it('discovery reports the platform only when it looks like one (container output is untrusted)', () => {
    const base = 'home\t/home/dev\nids\t1000\t1000\tdev\n';
    expect(parseDiscovery(`${base}platform\tx86_64-gnu\n`)?.platform).toBe('x86_64-gnu');
    expect(parseDiscovery(`${base}platform\taarch64-musl\n`)?.platform).toBe('aarch64-musl');
    expect(parseDiscovery(`${base}platform\t../../etc-gnu\n`)?.platform).toBeUndefined();
    expect(parseDiscovery(`${base}platform\tx86_64-\n`)?.platform).toBeUndefined();
  });
});

describe('the cached-install script in a real shell (a stand-in npm on PATH)', () => {
  const agent = () => effectiveAgent('codex', config({}, { codex: { enabled: true } }), {}, HOME) as NpmAgent;
  function sandbox() {
    const root = mkdtempSync(join(tmpdir(), 'cac-cache-script-'));
    const home = join(root, 'home');
    const bin = join(root, 'bin');
    mkdirSync(home);
    mkdirSync(bin);
    // npm install -g --prefix DIR PKG@V: a bin/codex in DIR that prints its version
    writeFileSync(
      join(bin, 'npm'),
      '#!/bin/sh\nwhile [ "$1" != --prefix ]; do shift; done\nmkdir -p "$2/bin" && printf \'#!/bin/sh\\necho codex-cli 0.171.0\\n\' > "$2/bin/codex" && chmod +x "$2/bin/codex"\n',
      { mode: 0o755 },
    );
    const run = (script: string, input?: Buffer) => spawnSync('sh', ['-c', script], { env: { PATH: `${bin}:/usr/bin:/bin` }, input, encoding: 'utf8' });
    return { root, home, run };
  }

  it('install links the prefix into ~/.local/bin and verifies it; restore unpacks a tar of that prefix the same way', () => {
    const { root, home, run } = sandbox();
    const install = run(cacheScript(agent(), '0.171.0', home, 'install'));
    expect(install.stdout).toContain('verify\t0\tcodex-cli 0.171.0');
    expect(readlinkSync(join(home, '.local/bin/codex'))).toBe(join(home, '.local/lib/cac-agents/codex-0.171.0/bin/codex'));
    const tar = execFileSync('tar', ['-C', join(home, '.local/lib/cac-agents/codex-0.171.0'), '-cf', '-', '.']);
    const other = join(root, 'other');
    mkdirSync(other);
    const restore = run(cacheScript(agent(), '0.171.0', other, 'restore'), tar);
    expect(restore.stdout).toContain('verify\t0\tcodex-cli 0.171.0');
    expect(readdirSync(join(other, '.local/lib/cac-agents'))).toEqual(['codex-0.171.0']);
    rmSync(root, { recursive: true, force: true });
  });

  it('a link planted in the home that leads out of it: nothing installed or written through it (exit 126)', () => {
    const { root, home, run } = sandbox();
    mkdirSync(join(root, 'outside'));
    symlinkSync(join(root, 'outside'), join(home, '.local'));
    const r = run(cacheScript(agent(), '0.171.0', home, 'install'));
    expect(r.status).toBe(126);
    expect(r.stdout).toContain('cac: not installing: a symbolic link in the home leads outside it');
    expect(readdirSync(join(root, 'outside'))).toEqual([]);
    rmSync(root, { recursive: true, force: true });
  });
});
