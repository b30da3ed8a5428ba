import { describe, expect, it } from 'vitest';
import { effectiveAgent } from '../../../src/core/agents/effective-config.js';
import { readScanned, scanHost } from '../../../src/core/agents/host-material.js';
import { forwardedNames, validateHost } from '../../../src/core/agents/validate.js';
import { config, HOME, MemFiles } from '../../fakes/agents.js';

const opts = { hostHome: HOME, maxBytes: 20 * 1024 * 1024 };

describe('host material', () => {
  it('finds the listed files, walks listed dirs and skips caches', async () => {
    const files = new MemFiles({
      [`${HOME}/.claude/.credentials.json`]: '{}',
      [`${HOME}/.claude/agents/a.md`]: 'a',
      [`${HOME}/.claude/agents/deep/b.md`]: 'b',
      [`${HOME}/.claude/projects/p.jsonl`]: 'cache',
      [`${HOME}/.claude.json`]: '{}',
    });
    const agent = effectiveAgent('claude', config({}, { claude: { host_config_path: ['~/.claude', '~/.claude.json'] } }), {}, HOME);
    const scan = await scanHost(agent, files);
    expect(scan.files.map((f) => [f.container, f.role])).toEqual([
      ['~/.claude/.credentials.json', 'credential'],
      ['~/.claude/agents/a.md', 'settings'],
      ['~/.claude/agents/deep/b.md', 'settings'],
      ['~/.claude.json', 'credential'],
    ]);
    expect(scan.dirs).toEqual(['~/.claude', '~/.claude/agents', '~/.claude/agents/deep']);
    expect(scan.files.find((f) => f.container === '~/.claude/.credentials.json')?.syncBack).toBe(true);
  });

  it('a file outside the home lands under its name in the container root', async () => {
    const files = new MemFiles({ '/etc/codex/config.toml': 'x', '/etc/codex-auth.json': 'y' });
    const agent = effectiveAgent('codex', config({}, { codex: { host_config_path: ['/etc/codex', '/etc/codex-auth.json'] } }), {}, HOME);
    const scan = await scanHost(agent, files);
    expect(scan.files.map((f) => f.container)).toEqual(['~/.codex/config.toml', '~/.codex/codex-auth.json']);
  });

  it('keeps the executable bit of host files', async () => {
    const files = new MemFiles();
    files.put(`${HOME}/.claude/commands/run.sh`, '#!/bin/sh', 0o755);
    const scan = await scanHost(effectiveAgent('claude', config(), {}, HOME), files);
    expect(scan.files[0]).toMatchObject({ container: '~/.claude/commands/run.sh', executable: true });
  });
});

describe('host validation', () => {
  const codex = (over: Record<string, unknown> = {}) => effectiveAgent('codex', config({}, { codex: { enabled: true, ...over } }), {}, HOME);

  it('passes with readable material', async () => {
    const files = new MemFiles({ [`${HOME}/.codex/auth.json`]: '{}' });
    const scan = await scanHost(codex(), files);
    await readScanned(scan, files);
    expect(validateHost(codex(), scan, {}, opts)).toEqual({ validated: true, copy: true, warnings: [] });
  });

  it('missing config dir: a warning naming it', async () => {
    const a = effectiveAgent('cursor', config(), {}, HOME);
    const v = validateHost(a, await scanHost(a, new MemFiles()), {}, opts);
    expect(v).toEqual({ validated: false, copy: false, warnings: ['host config ~/.cursor not found'] });
  });

  it('config dir present but none of the files: the paths looked at', async () => {
    const a = effectiveAgent('cursor', config(), {}, HOME);
    const v = validateHost(a, await scanHost(a, new MemFiles({ [`${HOME}/.cursor/other`]: 'x' })), {}, opts);
    expect(v.warnings).toEqual(['host config not found: ~/.cursor/cli-config.json, ~/.cursor/mcp.json, ~/.config/cursor/auth.json']);
  });

  it('an allow-listed auth variable that is set validates without files; an unlisted one does not', async () => {
    const listed = codex({ env_forward: ['OPENAI_API_KEY'] });
    const empty = await scanHost(listed, new MemFiles());
    expect(validateHost(listed, empty, { OPENAI_API_KEY: 'sk-x' }, opts)).toMatchObject({ validated: true, copy: false, warnings: [] });
    expect(validateHost(codex(), empty, { OPENAI_API_KEY: 'sk-x' }, opts).validated).toBe(false);
    expect(validateHost(listed, empty, {}, opts).validated).toBe(false);
    // a listed non-auth variable forwards but does not validate
    const other = codex({ env_forward: ['OPENAI_BASE_URL'] });
    expect(validateHost(other, empty, { OPENAI_BASE_URL: 'http://x' }, opts).validated).toBe(false);
    expect(forwardedNames(codex({ env_forward: ['A', 'B'] }), { B: '' })).toEqual(['B']);
  });

  it('an unreadable file is a warning; with nothing else readable the agent is not validated', async () => {
    const files = new MemFiles({ [`${HOME}/.codex/auth.json`]: '{}' });
    files.unreadable.add(`${HOME}/.codex/auth.json`);
    const scan = await scanHost(codex(), files);
    await readScanned(scan, files);
    expect(validateHost(codex(), scan, {}, opts)).toEqual({ validated: false, copy: false, warnings: ['cannot read ~/.codex/auth.json'] });
  });

  it('over the size cap: a warning naming the biggest paths, nothing copied', async () => {
    const files = new MemFiles({
      [`${HOME}/.codex/auth.json`]: 'x'.repeat(10),
      [`${HOME}/.codex/prompts/big.md`]: 'x'.repeat(3 * 1024 * 1024),
      [`${HOME}/.codex/prompts/mid.md`]: 'x'.repeat(1024 * 1024),
    });
    const scan = await scanHost(codex(), files);
    const v = validateHost(codex(), scan, {}, { hostHome: HOME, maxBytes: 2 * 1024 * 1024 });
    expect(v.copy).toBe(false);
    expect(v.validated).toBe(true);
    expect(v.warnings[0]).toBe(
      'host config is 4.0 MB, over max_copy_mb = 2 MB; nothing copied (biggest: ~/.codex/prompts/big.md (3.0 MB), ~/.codex/prompts/mid.md (1.0 MB), ~/.codex/auth.json (0.0 MB))',
    );
  });

  it('carries config warnings (reserved env names)', async () => {
    const a = codex({ env_forward: ['PATH'] });
    const files = new MemFiles({ [`${HOME}/.codex/auth.json`]: '{}' });
    const scan = await scanHost(a, files);
    await readScanned(scan, files);
    expect(validateHost(a, scan, {}, opts).warnings).toEqual(['env_forward: PATH is reserved and not forwarded']);
  });
});
