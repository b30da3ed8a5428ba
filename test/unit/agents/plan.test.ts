import { posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PRESETS, type PresetFile } from '../../../src/core/agents/presets.js';
import { effectiveAgent } from '../../../src/core/agents/effective-config.js';
import { readScanned, scanHost } from '../../../src/core/agents/host-material.js';
import { planCopy, sha256 } from '../../../src/core/agents/plan.js';
import { config, HOME, MemFiles } from '../../fakes/agents.js';

const ws = { workspace: '/src/app', remoteWorkspaceFolder: '/workspaces/app' };

async function scanned(kind: 'codex' | 'claude' | 'cursor', files: MemFiles, over: Record<string, unknown> = {}) {
  const agent = effectiveAgent(kind, config({}, { [kind]: over }), {}, HOME);
  const scan = await scanHost(agent, files);
  await readScanned(scan, files);
  return { agent, scan };
}

describe('copy plan', () => {
  it('paths stay ~/… (the home is found in the same exec); credentials 0600 in 0700 dirs, settings 0644, parents first, the home untouched', async () => {
    const files = new MemFiles({
      [`${HOME}/.claude/.credentials.json`]: '{"t":1}',
      [`${HOME}/.claude/settings.json`]: '{}',
      [`${HOME}/.claude/agents/a.md`]: 'a',
      [`${HOME}/.claude.json`]: '{}',
      [`${HOME}/.cursor/cli-config.json`]: '{}',
      [`${HOME}/.config/cursor/auth.json`]: '{}',
    });
    const plan = planCopy([await scanned('claude', files), await scanned('cursor', files)], ws);
    const modes = Object.fromEntries(plan.entries.map((e) => [e.path, [e.mode.toString(8), e.data ? 'file' : 'dir']]));
    expect(modes).toEqual({
      '~/.claude': ['700', 'dir'],
      '~/.cursor': ['755', 'dir'],
      '~/.claude/agents': ['755', 'dir'],
      '~/.config/cursor': ['700', 'dir'],
      '~/.claude/.credentials.json': ['600', 'file'],
      '~/.claude/settings.json': ['644', 'file'],
      '~/.claude/agents/a.md': ['644', 'file'],
      '~/.claude.json': ['600', 'file'],
      '~/.cursor/cli-config.json': ['644', 'file'],
      '~/.config/cursor/auth.json': ['600', 'file'],
    });
    expect(plan.copied.claude).toHaveLength(4);
    expect(plan.copied.cursor).toEqual(['~/.cursor/cli-config.json', '~/.config/cursor/auth.json']);
    expect(plan.entries.findIndex((e) => e.path === '~/.claude')).toBeLessThan(plan.entries.findIndex((e) => e.path === '~/.claude/agents'));
  });

  it('rewrites workspace paths and records both hashes of sync-back files', async () => {
    const files = new MemFiles({
      [`${HOME}/.codex/auth.json`]: '{"refresh":"r1"}',
      [`${HOME}/.codex/config.toml`]: '[projects."/src/app"]\ntrust_level = "trusted"\n',
    });
    const plan = planCopy([await scanned('codex', files)], ws);
    const toml = plan.entries.find((e) => e.path === '~/.codex/config.toml');
    expect(Buffer.from(toml?.data ?? []).toString()).toBe('[projects."/workspaces/app"]\ntrust_level = "trusted"\n');
    expect(plan.synced).toEqual([{ agent: 'codex', host: `${HOME}/.codex/auth.json`, container: '~/.codex/auth.json', hostHash: sha256('{"refresh":"r1"}'), sentHash: sha256('{"refresh":"r1"}') }]);
  });

  it('notes a ~/.claude.json it could not parse, and copies it unchanged', async () => {
    const files = new MemFiles({ [`${HOME}/.claude.json`]: '{broken' });
    const plan = planCopy([await scanned('claude', files)], ws);
    expect(plan.notes.claude).toEqual(['~/.claude.json is not valid JSON: copied without rewriting workspace paths']);
    expect(Buffer.from(plan.entries.find((e) => e.path === '~/.claude.json')?.data ?? []).toString()).toBe('{broken');
  });

  it('a container root outside the home gets its dirs; executables stay executable', async () => {
    const files = new MemFiles();
    files.put(`${HOME}/.codex/prompts/x.sh`, '#!/bin/sh', 0o750);
    const plan = planCopy([await scanned('codex', files, { container_config_path: '/opt/codex' })], ws);
    expect(plan.entries.map((e) => [e.path, e.mode.toString(8)])).toEqual([
      ['/opt/codex', '755'],
      ['/opt/codex/prompts', '755'],
      ['/opt/codex/prompts/x.sh', '755'],
    ]);
  });
});

describe('credential modes follow what a file is in the container, not where it came from on the host', () => {
  const KINDS = ['codex', 'claude', 'cursor', 'gemini'] as const;
  const credNames = (kind: (typeof KINDS)[number]) => PRESETS[kind].files.filter((f) => f.role === 'credential').map((f) => posix.basename(f.host));

  // every preset file (a dir preset gets one file in it) under `dir`, by its name relative to the config dir
  function material(files: MemFiles, kind: (typeof KINDS)[number], place: (f: PresetFile) => string): void {
    for (const f of PRESETS[kind].files) {
      const path = place(f);
      if (!posix.basename(f.host).includes('.')) files.put(`${path}/x.md`, 'x');
      else files.put(path, f.role === 'credential' ? '{"token":"t"}' : '{}');
    }
  }

  const settings: Record<string, (kind: (typeof KINDS)[number]) => { over: Record<string, unknown>; env: Record<string, string>; place: (kind: (typeof KINDS)[number], f: PresetFile) => string }> = {
    'default host paths': () => ({ over: {}, env: {}, place: (k, f) => (f.host.startsWith('~/') ? `${HOME}/${f.host.slice(2)}` : `${HOME}/.${k}/${f.host}`) }),
    'a custom host dir outside the home': (k) => ({ over: { host_config_path: [`/custom/${k}`] }, env: {}, place: (kk, f) => `/custom/${kk}/${posix.basename(f.host)}` }),
    'a custom host dir in the home': (k) => ({ over: { host_config_path: [`~/dotfiles/${k}`] }, env: {}, place: (kk, f) => `${HOME}/dotfiles/${kk}/${posix.basename(f.host)}` }),
    'custom host files listed one by one': (k) => ({
      over: { host_config_path: PRESETS[k].files.map((f) => `/custom/${k}/${posix.basename(f.host)}`) },
      env: {},
      place: (kk, f) => `/custom/${kk}/${posix.basename(f.host)}`,
    }),
    'the root variable set, the preset dir listed': (k) => ({
      over: { host_config_path: [`~/.${k}`] },
      env: { CODEX_HOME: '/data/codex', CLAUDE_CONFIG_DIR: '/data/claude' },
      place: (kk, f) => `${HOME}/.${kk}/${posix.basename(f.host)}`,
    }),
    'a custom container path': () => ({
      over: { container_config_path: '/opt/agent' },
      env: {},
      place: (k, f) => (f.host.startsWith('~/') ? `${HOME}/${f.host.slice(2)}` : `${HOME}/.${k}/${f.host}`),
    }),
  };

  for (const kind of KINDS) {
    for (const [name, setting] of Object.entries(settings)) {
      it(`${kind}, ${name}: credentials 0600 in 0700 dirs, the rest 0644`, async () => {
        const s = setting(kind);
        const files = new MemFiles();
        material(files, kind, (f) => s.place(kind, f));
        const agent = effectiveAgent(kind, config({}, { [kind]: { enabled: true, ...s.over } }), s.env, HOME);
        const scan = await scanHost(agent, files);
        await readScanned(scan, files);
        const plan = planCopy([{ agent, scan }], ws);
        const modes = new Map(plan.entries.map((e) => [e.path, e.mode]));
        const creds = plan.entries.filter((e) => e.data && credNames(kind).includes(posix.basename(e.path)));
        // every credential the preset knows was copied (none slipped in as settings under another name)
        expect(creds.length, JSON.stringify([...modes.keys()])).toBe(credNames(kind).length);
        for (const e of plan.entries.filter((x) => x.data)) {
          const cred = creds.includes(e);
          expect([e.path, e.mode.toString(8)]).toEqual([e.path, cred ? '600' : '644']);
          const dir = posix.dirname(e.path);
          if (cred && dir !== '~') expect([dir, modes.get(dir)?.toString(8)]).toEqual([dir, '700']);
        }
      });
    }
  }

  it('a custom host dir still flows refreshed tokens back and rewrites workspace paths (its files are the agent’s files in the container)', async () => {
    const files = new MemFiles({ '/custom/codex/auth.json': '{"t":1}', '/custom/codex/config.toml': '[projects."/src/app"]\n', '/custom/codex/sessions/s.jsonl': 'cache' });
    const agent = effectiveAgent('codex', config({}, { codex: { host_config_path: ['/custom/codex'] } }), {}, HOME);
    const scan = await scanHost(agent, files);
    await readScanned(scan, files);
    const plan = planCopy([{ agent, scan }], ws);
    expect(plan.entries.map((e) => [e.path, e.mode.toString(8)])).toEqual([
      ['~/.codex', '700'],
      ['~/.codex/auth.json', '600'],
      ['~/.codex/config.toml', '644'],
    ]);
    expect(plan.synced.map((f) => [f.host, f.container])).toEqual([['/custom/codex/auth.json', '~/.codex/auth.json']]);
    expect(Buffer.from(plan.entries[2]?.data ?? []).toString()).toBe('[projects."/workspaces/app"]\n');
  });
});
