import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configHash, memoHolds, memoizable, type UpMemo, UpMemos } from '../../../src/adapters/engine/up-memo.js';

const text = '{ "image": "debian" }';
const memo: UpMemo = { containerId: 'c1', remoteUser: 'dev', remoteWorkspaceFolder: '/workspaces/w', configHash: configHash(text), at: Date.parse('2026-12-03T07:00:00.000Z') };
const running = { running: true, startedAt: '2026-12-03T06:59:59.123456789Z', metadata: '[{"remoteUser":"dev"}]' };

describe('up memo: when the CLI may be skipped', () => {
  it('holds for the same config and a container running since before the memo (nanosecond timestamps too)', () => {
    expect(memoHolds(memo, text, running)).toBe(true);
  });

  it('does not hold once the container was restarted, stopped or removed', () => {
    expect(memoHolds(memo, text, { ...running, startedAt: '2026-12-03T07:00:00.001Z' })).toBe(false);
    expect(memoHolds(memo, text, { ...running, running: false })).toBe(false);
    expect(memoHolds(memo, text, undefined)).toBe(false);
    expect(memoHolds(memo, text, { ...running, startedAt: '' })).toBe(false);
  });

  it('does not hold once the config file changed', () => {
    expect(memoHolds(memo, '{ "image": "debian", "remoteUser": "x" }', running)).toBe(false);
  });

  it('never for a config that runs a command on every up, or a Compose config', () => {
    for (const t of ['{ "image": "d", "initializeCommand": "make" }', '{ "image": "d", "postAttachCommand" : ["a"] }', '{ "dockerComposeFile": "c.yml", "service": "app" }']) {
      expect(memoizable(t)).toBe(false);
      expect(memoHolds({ ...memo, configHash: configHash(t) }, t, running)).toBe(false);
    }
    expect(memoizable(text)).toBe(true);
  });

  it('never when a feature or the image adds a postAttachCommand (the container metadata)', () => {
    expect(memoHolds(memo, text, { ...running, metadata: '[{"id":"f"},{"postAttachCommand":"echo hi"}]' })).toBe(false);
  });

  it('keeps memos 0600 in a 0700 dir, one per workspace, and reads back only well-formed ones', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'cac-memo-')), 'up');
    const memos = new UpMemos(dir);
    const a = { folder: '/w/a', configFile: '/w/a/.devcontainer/devcontainer.json' };
    const b = { folder: '/w/b', configFile: '/w/b/.devcontainer/devcontainer.json' };
    await memos.write(a, memo);
    expect(await memos.read(a)).toEqual(memo);
    expect(await memos.read(b)).toBeUndefined();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    await memos.forget(a);
    expect(await memos.read(a)).toBeUndefined();
  });
});
