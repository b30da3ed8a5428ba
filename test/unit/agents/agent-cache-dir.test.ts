// The agent cache directory: "latest" resolved once with `npm view` and recorded, a registry that fails
// later falls back to the record, an answer that is not a version is refused, and every key part is
// checked before it becomes a path.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirAgentCache } from '../../../src/adapters/engine/agent-cache.js';
import type { ExecResult, Host } from '../../../src/ports/host.js';

function npmHost(answers: ExecResult[]): Host & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    kind: 'local',
    calls,
    async exec(argv) {
      calls.push([...argv]);
      return answers.shift() ?? { exitCode: 1, stdout: '', stderr: 'npm error network' };
    },
    async putFiles() {},
  };
}

describe('DirAgentCache', () => {
  it('resolves "latest" once through npm view and records it; exact versions never ask', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cac-agent-cache-'));
    const host = npmHost([{ exitCode: 0, stdout: '0.172.0\n', stderr: '' }]);
    const cache = new DirAgentCache({ dir, host, now: () => Date.parse('2026-12-02T00:00:00Z') });
    expect(await cache.resolve('@openai/codex', '0.171.0')).toBe('0.171.0');
    expect(await cache.resolve('@openai/codex', 'latest')).toBe('0.172.0');
    expect(await cache.resolve('@openai/codex', 'latest')).toBe('0.172.0');
    expect(host.calls).toEqual([['npm', 'view', '@openai/codex', 'version']]);
    expect(JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8'))).toEqual({ '@openai/codex': { version: '0.172.0', resolvedAt: '2026-12-02T00:00:00.000Z' } });
    // --refresh with the registry down keeps the recorded version
    expect(await cache.resolve('@openai/codex', 'latest', { refresh: true })).toBe('0.172.0');
    expect(host.calls).toHaveLength(2);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an answer that is not a version, and a key part that could leave the cache dir', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cac-agent-cache-'));
    const cache = new DirAgentCache({ dir, host: npmHost([{ exitCode: 0, stdout: '../../etc\n', stderr: '' }]) });
    await expect(cache.resolve('@google/gemini-cli', 'latest')).rejects.toMatchObject({ code: 'ERR_AGENT_VERSION' });
    expect(() => cache.fileOf({ kind: 'codex', version: '0.171.0', platform: '../x-gnu' })).toThrow(/not an agent cache key/);
    expect(() => cache.fileOf({ kind: 'codex', version: '../../x', platform: 'x86_64-gnu' })).toThrow(/not an agent cache key/);
    expect(cache.fileOf({ kind: 'codex', version: '0.171.0', platform: 'x86_64-gnu' })).toBe(join(dir, 'codex/0.171.0/x86_64-gnu.tar'));
    expect(await cache.open({ kind: 'codex', version: '0.171.0', platform: 'x86_64-gnu' })).toBeUndefined();
    rmSync(dir, { recursive: true, force: true });
  });
});
