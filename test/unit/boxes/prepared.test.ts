// Pools prepared ahead, the pure rules: the config hash, when `cac pool prepare` prepares again, which
// states a newer one replaces, and how a box stands to the state its inner engine started from.
import { describe, expect, it } from 'vitest';
import { newestPrepared, prepareDecision, preparedConfigHash, preparedUse, supersededPrepared } from '../../../src/core/boxes/prepared.js';
import type { PreparedState } from '../../../src/ports/vm-driver.js';

const inputs = { configObjects: ['tree-a'], cliVersion: '0.89.0', preloads: ['cac-test/base:bookworm@sha256:1'] };
const state = (poolKey: string, configHash: string, preparedAt: number): PreparedState => ({ poolKey, configHash, preparedAt, ref: `${poolKey}-${preparedAt}` });

describe('preparedConfigHash', () => {
  it('is 16 hex digits, the same for the same inputs', () => {
    expect(preparedConfigHash(inputs)).toMatch(/^[0-9a-f]{16}$/);
    expect(preparedConfigHash({ ...inputs, configObjects: ['tree-a'] })).toBe(preparedConfigHash(inputs));
  });

  it('changes with the devcontainer config, the CLI version and a preloaded image', () => {
    const base = preparedConfigHash(inputs);
    expect(preparedConfigHash({ ...inputs, configObjects: ['tree-b'] })).not.toBe(base);
    expect(preparedConfigHash({ ...inputs, configObjects: ['tree-a', 'blob-c'] })).not.toBe(base);
    expect(preparedConfigHash({ ...inputs, cliVersion: '0.90.0' })).not.toBe(base);
    expect(preparedConfigHash({ ...inputs, preloads: ['cac-test/base:bookworm@sha256:2'] })).not.toBe(base);
  });
});

describe('prepareDecision', () => {
  const current = state('p#main', 'aaaa', 1);
  it('prepares when nothing is prepared, when the config changed, when it cannot be read, and when forced', () => {
    expect(prepareDecision(undefined, 'aaaa')).toMatchObject({ prepare: true, reason: 'nothing prepared yet' });
    expect(prepareDecision(current, 'bbbb')).toMatchObject({ prepare: true, reason: expect.stringContaining('changed (prepared aaaa, now bbbb)') });
    expect(prepareDecision(current, undefined)).toMatchObject({ prepare: true });
    expect(prepareDecision(current, 'aaaa', { force: true })).toMatchObject({ prepare: true, reason: 'forced' });
  });
  it('keeps a state made from the same config', () => {
    expect(prepareDecision(current, 'aaaa')).toEqual({ prepare: false, reason: 'up to date (aaaa)' });
  });
});

describe('newest and superseded prepared states', () => {
  const all = [state('a#main', 'h1', 10), state('a#main', 'h2', 30), state('a#main', 'h3', 20), state('b#main', 'h4', 5)];
  it('keeps the newest per pool', () => {
    const newest = newestPrepared(all);
    expect(newest.get('a#main')?.configHash).toBe('h2');
    expect(newest.get('b#main')?.configHash).toBe('h4');
  });
  it('lists every other state of a pool as superseded, never the newest', () => {
    expect(
      supersededPrepared(all)
        .map((p) => p.configHash)
        .sort(),
    ).toEqual(['h1', 'h3']);
  });
});

describe('preparedUse', () => {
  it('fresh when the marker is for the box config, stale when for another, none without one', () => {
    expect(preparedUse({ configHash: 'aaaa', preparedAt: 7 }, 'aaaa')).toEqual({ use: 'fresh', preparedAt: 7 });
    expect(preparedUse({ configHash: 'aaaa', preparedAt: 7 }, 'bbbb')).toEqual({ use: 'stale', preparedHash: 'aaaa' });
    expect(preparedUse(undefined, 'aaaa')).toEqual({ use: 'none' });
  });
  it('reads a marker from the box as untrusted: a wrong type is no marker', () => {
    expect(preparedUse({ configHash: 42 }, 'aaaa')).toEqual({ use: 'none' });
    expect(preparedUse({ configHash: 'aaaa', preparedAt: 'x' }, 'aaaa')).toEqual({ use: 'fresh', preparedAt: 0 });
  });
});
