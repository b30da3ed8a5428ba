import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveWorkspace, checkJsonc } from '../../../src/core/lifecycle/workspace.js';
import { localFiles } from '../../../src/adapters/engine/local-files.js';
import type { CacError } from '../../../src/errors.js';

function ws(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'cac-ws-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

describe('resolveWorkspace', () => {
  it('prefers .devcontainer/devcontainer.json, then .devcontainer.json', async () => {
    const both = ws({ '.devcontainer/devcontainer.json': '{}', '.devcontainer.json': '{}' });
    expect((await resolveWorkspace(localFiles, both)).configFile).toBe(join(both, '.devcontainer/devcontainer.json'));
    const root = ws({ '.devcontainer.json': '{ "image": "x", }' });
    expect(await resolveWorkspace(localFiles, root)).toEqual({ folder: root, configFile: join(root, '.devcontainer.json') });
  });

  it('uses --config-file when given', async () => {
    const dir = ws({ 'other/dc.json': '// c\n{"image": "x"}' });
    expect((await resolveWorkspace(localFiles, dir, join(dir, 'other/dc.json'))).configFile).toBe(join(dir, 'other/dc.json'));
  });

  it('lists where it looked when there is no devcontainer.json (exit 2)', async () => {
    const dir = ws({ README: 'x' });
    const e = (await resolveWorkspace(localFiles, dir).catch((x: unknown) => x)) as CacError;
    expect(e.code).toBe('ERR_NO_DEVCONTAINER');
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe(`no devcontainer.json for ${dir} (looked at: ${join(dir, '.devcontainer/devcontainer.json')}, ${join(dir, '.devcontainer.json')})`);
  });

  it('refuses a missing workspace folder', async () => {
    await expect(resolveWorkspace(localFiles, '/no/such/folder')).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
  });
});

describe('checkJsonc', () => {
  it('accepts comments and trailing commas', () => {
    expect(checkJsonc('// hi\n{ "image": "x", /* c */ "remoteUser": "dev", }', 'f')).toEqual({ image: 'x', remoteUser: 'dev' });
  });

  it('reports file:line:col of the first error with the line shown', () => {
    const e = (() => {
      try {
        checkJsonc('{\n  "image": "x",\n  "name": oops\n}', 'dc.json');
      } catch (x) {
        return x as CacError;
      }
      throw new Error('expected an error');
    })();
    expect(e.code).toBe('ERR_DEVCONTAINER_JSON');
    expect(e.message).toBe('dc.json:3:11: invalid symbol');
    expect(e.details?.excerpt).toBe('3 |   "name": oops\n              ^');
    expect(e.exitCode).toBe(2);
  });

  it('wants an object', () => {
    expect(() => checkJsonc('[1]', 'f')).toThrow(/f:1:1: expected a JSON object/);
  });
});
