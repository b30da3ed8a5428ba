import { describe, expect, it } from 'vitest';
import { effectiveAgent } from '../../../src/core/agents/effective-config.js';
import { readScanned, scanHost } from '../../../src/core/agents/host-material.js';
import { planCopy, sha256 } from '../../../src/core/agents/plan.js';
import { config, HOME, MemFiles } from './fakes.js';

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
