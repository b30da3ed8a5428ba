// A folder without a devcontainer configuration: the decision (its own config, a generated one naming an
// image, or ERR_NO_DEVCONTAINER with a hint), the generated file (outside the folder), and the image checks.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseWorkspace, generatedConfigText, type WorkspaceChoice } from '../../../src/core/lifecycle/default-image.js';
import { checkJsonc } from '../../../src/core/lifecycle/workspace.js';
import { localFiles } from '../../../src/adapters/engine/local-files.js';
import { GENERATED_LABEL } from '../../../src/ports/engine.js';
import { generatedConfigPath } from '../../../src/app/workspace.js';
import { isImageRef, validateImageRef } from '../../../src/domain/validate.js';
import type { CacError } from '../../../src/errors.js';
import { runInProcess, tempHome } from '../../helpers/run-cli.js';
import { renderBox } from '../../../src/cli/handlers/box-render.js';
import { makeBox, T0 } from '../../fakes/box.js';

const IMAGE = 'cac-test/base:bookworm';

function folder(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'cac-noconf-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

function choice(over: Partial<WorkspaceChoice> = {}): WorkspaceChoice & { state: string } {
  const state = mkdtempSync(join(tmpdir(), 'cac-state-'));
  return { generatedFile: (f) => generatedConfigPath(state, f), write: true, hint: 'HINT', state, ...over };
}

const error = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected an error');
    },
    (e: unknown) => e as CacError,
  );

describe('the generated devcontainer.json', () => {
  it('names the image alone and is the JSONC the devcontainer CLI reads', () => {
    expect(checkJsonc(generatedConfigText(IMAGE), 'f')).toEqual({ name: 'cac default image', image: IMAGE });
  });
});

describe('chooseWorkspace', () => {
  it('a folder with its own devcontainer.json uses it: no default image, nothing written; an --image there is reported unused', async () => {
    const dir = folder({ '.devcontainer/devcontainer.json': '{"image":"x"}' });
    const c = choice({ defaultImage: IMAGE });
    expect(await chooseWorkspace(localFiles, dir, c)).toEqual({ ref: { folder: dir, configFile: join(dir, '.devcontainer/devcontainer.json') }, imageIgnored: false });
    expect((await chooseWorkspace(localFiles, dir, { ...c, image: 'node:20' })).imageIgnored).toBe(true);
    expect(readdirSync(c.state)).toEqual([]);
  });

  it('no config and an image: a config naming it is written outside the folder, the folder is left as it was', async () => {
    const dir = folder({ 'README.md': 'hi' });
    const c = choice({ image: IMAGE });
    const { ref, imageIgnored } = await chooseWorkspace(localFiles, dir, c);
    const file = generatedConfigPath(c.state, dir);
    expect(ref).toEqual({ folder: dir, configFile: file, labels: [GENERATED_LABEL], generatedImage: IMAGE });
    expect(imageIgnored).toBe(false);
    expect(file.startsWith(`${c.state}/workspaces/`)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(generatedConfigText(IMAGE));
    expect(readdirSync(dir)).toEqual(['README.md']);
  });

  it('no config and no image: ERR_NO_DEVCONTAINER (exit 2) with the hint that names the option', async () => {
    const dir = folder();
    const e = await error(chooseWorkspace(localFiles, dir, choice()));
    expect(e.code).toBe('ERR_NO_DEVCONTAINER');
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe(`no devcontainer.json for ${dir} (looked at: ${join(dir, '.devcontainer/devcontainer.json')}, ${join(dir, '.devcontainer.json')})`);
    expect(e.hint).toBe('HINT');
  });

  it('the setting is the image when no --image is given', async () => {
    const dir = folder();
    const c = choice({ defaultImage: 'node:20' });
    expect((await chooseWorkspace(localFiles, dir, c)).ref.generatedImage).toBe('node:20');
    expect(checkJsonc(readFileSync(generatedConfigPath(c.state, dir), 'utf8'), 'f').image).toBe('node:20');
  });

  it('the generated config is the record: later commands (no image, nothing written) find the same container labels; a new --image replaces it', async () => {
    const dir = folder();
    const c = choice({ image: IMAGE, defaultImage: 'node:20' });
    const first = (await chooseWorkspace(localFiles, dir, c)).ref;
    // down / exec / stop: no --image, no setting, no write
    const later = (await chooseWorkspace(localFiles, dir, { ...c, image: undefined, defaultImage: undefined, write: false })).ref;
    expect(later).toEqual(first);
    // up again without --image: the recorded image wins over the setting
    expect((await chooseWorkspace(localFiles, dir, { ...c, image: undefined })).ref.generatedImage).toBe(IMAGE);
    const replaced = await chooseWorkspace(localFiles, dir, { ...c, image: 'node:22' });
    expect({ ...replaced.ref, generatedImage: IMAGE }).toEqual(first);
    expect(replaced.replacedImage).toBe(IMAGE);
    expect(checkJsonc(readFileSync(first.configFile, 'utf8'), 'f').image).toBe('node:22');
  });

  it('a command that makes no container writes nothing, even with a setting', async () => {
    const dir = folder();
    const c = choice({ defaultImage: IMAGE, write: false });
    expect((await chooseWorkspace(localFiles, dir, c)).ref.configFile).toBe(generatedConfigPath(c.state, dir));
    expect(readdirSync(c.state)).toEqual([]);
  });

  it('--config-file never falls back to an image; with --image it is a usage error (exit 2)', async () => {
    const dir = folder();
    const missing = await error(chooseWorkspace(localFiles, dir, choice({ configFile: join(dir, 'nope.json'), defaultImage: IMAGE })));
    expect(missing.code).toBe('ERR_NO_DEVCONTAINER');
    expect(missing.hint).toBe('check the --config-file path');
    const both = await error(chooseWorkspace(localFiles, dir, choice({ configFile: join(dir, 'nope.json'), image: IMAGE })));
    expect([both.code, both.exitCode, both.message.startsWith('--image: ')]).toEqual(['ERR_USAGE', 2, true]);
  });
});

describe('generatedConfigPath', () => {
  it('is stable for a folder and differs for two folders of the same name', () => {
    expect(generatedConfigPath('/s', '/a/app')).toBe(generatedConfigPath('/s', '/a/app'));
    expect(generatedConfigPath('/s', '/a/app')).toMatch(/^\/s\/workspaces\/app-[0-9a-f]{12}\/devcontainer\.json$/);
    expect(generatedConfigPath('/s', '/a/app')).not.toBe(generatedConfigPath('/s', '/b/app'));
    expect(generatedConfigPath('/s', '/a/.x y')).toMatch(/^\/s\/workspaces\/x-y-[0-9a-f]{12}\//);
  });
});

describe('image references', () => {
  it('accepts what docker reads as an image, refuses options, spaces, upper-case paths and empty tags', () => {
    for (const ok of ['node', 'node:20', IMAGE, 'mcr.microsoft.com/devcontainers/javascript-node:20', 'localhost:5000/a/b:1', `x@sha256:${'a'.repeat(64)}`]) expect(isImageRef(ok), ok).toBe(true);
    for (const bad of ['', '-rm', '--privileged', 'Node:20', 'a b', 'a:', 'a;rm -rf /', 'a//b', 'x\n']) expect(isImageRef(bad), bad).toBe(false);
  });

  it('a bad one is ERR_INVALID_INPUT (exit 2) naming the field', () => {
    const e = (() => {
      try {
        validateImageRef('Bad Image', '--image');
      } catch (x) {
        return x as CacError;
      }
      throw new Error('expected an error');
    })();
    expect([e.code, e.exitCode, e.message]).toEqual(['ERR_INVALID_INPUT', 2, '--image: "Bad Image" is not an image reference']);
  });

  it('cac up --image refuses a bad reference before anything runs; without one a folder with no config keeps ERR_NO_DEVCONTAINER and names --image', async () => {
    const { env } = tempHome();
    const dir = folder();
    const bad = await runInProcess(['--json', 'up', dir, '--image', 'evil;rm -rf ~'], env);
    expect(bad.exitCode).toBe(2);
    expect(JSON.parse(bad.stdout)).toMatchObject({ outcome: 'error', code: 'ERR_INVALID_INPUT', message: '--image: "evil;rm -rf ~" is not an image reference' });
    const none = await runInProcess(['--json', 'up', dir], env);
    expect(none.exitCode).toBe(2);
    const doc = JSON.parse(none.stdout) as { code: string; hint: string };
    expect(doc.code).toBe('ERR_NO_DEVCONTAINER');
    expect(doc.hint).toContain("'cac up --image <ref>'");
    expect(doc.hint).toContain('[local] default_image');
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('box show', () => {
  it('says when the box runs in the default image, and only then', () => {
    const ws = { folder: '/home/cac/cac/b/app', branch: 'main', cli: '/x', containerId: 'c1', remoteUser: 'root', remoteWorkspaceFolder: '/workspaces/app' };
    const generated = makeBox({ state: 'standby', workspace: { ...ws, configFile: '/home/cac/cac/b/.cac/devcontainer.json', generatedImage: IMAGE } });
    expect(renderBox(generated, T0)).toContain(`image      ${IMAGE} ([boxes] default_image: the repo has no devcontainer configuration)`);
    const own = makeBox({ state: 'standby', workspace: { ...ws, configFile: '/home/cac/cac/b/app/.devcontainer/devcontainer.json' } });
    expect(renderBox(own, T0)).not.toContain('image      ');
  });
});
