// The AgentVolumes contract: what the agent volume store promises whichever engine keeps it. Run on the
// docker adapter against the test dockerd (agent-volumes.test.ts) and on the in-memory fake the unit
// tests use (test/unit/boxes/fake-contracts.test.ts), so a unit test can't lean on behaviour the real one lacks.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { dataNameOf, volumeNameOf } from '../../../src/domain/agent-volume.js';
import type { AgentCacheKey } from '../../../src/ports/agent-cache.js';
import type { AgentVolumes } from '../../../src/ports/agent-volumes.js';

/** A tar of an install prefix holding `bin/<name>` (made by the system tar: the docker adapter reads real archives). */
function prefixTar(name: string, text: string): Readable {
  const dir = mkdtempSync(join(tmpdir(), 'cac-agent-prefix-'));
  try {
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin', name), text, { mode: 0o755 });
    return Readable.from([execFileSync('tar', ['-c', '-f', '-', '-C', dir, '.'])]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function agentVolumesContract(name: string, make: () => Promise<{ volumes: AgentVolumes }>): void {
  describe(`AgentVolumes contract: ${name}`, () => {
    // a version no real agent has: the engine may hold other volumes (the tests see only theirs)
    const version = `0.0.${process.pid}${Math.floor(Math.random() * 1e6)}`;
    const key: AgentCacheKey = { kind: 'codex', version, platform: 'x86_64-gnu' };
    const mine = (vs: readonly AgentCacheKey[]) => vs.filter((v) => v.version === version);
    let made: AgentVolumes | undefined;
    afterEach(async () => {
      await made?.remove({ name: volumeNameOf(key), data: dataNameOf(key) }).catch(() => undefined);
    });

    it('a filled version is listed under its view and data names; its data is no leftover; nothing mounts it', async () => {
      const { volumes } = await make();
      made = volumes;
      expect(mine(await volumes.list())).toEqual([]);
      const filled = await volumes.fill(key, prefixTar('codex', '#!/bin/sh\necho codex\n'));
      expect(filled).toEqual({ ...key, name: volumeNameOf(key), data: dataNameOf(key) });
      expect(mine(await volumes.list())).toEqual([filled]);
      expect(await volumes.leftovers()).not.toContain(filled.data);
      expect(await volumes.users(filled.name)).toEqual([]);
    });

    it('removed: no longer listed; removing again is no error', async () => {
      const { volumes } = await make();
      made = volumes;
      const filled = await volumes.fill(key, prefixTar('codex', '#!/bin/sh\necho codex\n'));
      expect(await volumes.remove(filled)).toBe('removed');
      expect(mine(await volumes.list())).toEqual([]);
      expect(await volumes.leftovers()).not.toContain(filled.data);
      expect(await volumes.remove(filled)).toBe('removed');
    });

    it('an adopted prefix directory is listed like a filled one; removed, it is gone', async () => {
      const { volumes } = await make();
      made = volumes;
      const dir = mkdtempSync(join(tmpdir(), 'cac-agent-adopt-'));
      try {
        const adopted = await volumes.adopt(key, dir);
        expect(adopted).toEqual({ ...key, name: volumeNameOf(key), data: dataNameOf(key) });
        expect(mine(await volumes.list())).toEqual([adopted]);
        expect(await volumes.remove(adopted)).toBe('removed');
        expect(mine(await volumes.list())).toEqual([]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('a key that could not name a volume (a version from a label or the registry) is refused before anything is made', async () => {
      const { volumes } = await make();
      made = volumes;
      const bad = { ...key, version: `${version};rm -rf /` };
      await expect(volumes.fill(bad, prefixTar('codex', 'x'))).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
      await expect(volumes.adopt(bad, '/opt/cac-agents/x')).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
      expect((await volumes.list()).filter((v) => v.version.startsWith(version))).toEqual([]);
    });
  });
}
