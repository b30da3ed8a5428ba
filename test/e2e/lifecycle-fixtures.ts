// Workspaces for the lifecycle e2e tests, made fresh in a temp dir. Every container they create carries
// the label cac.test-run=<run id> (through runArgs), so teardown removes exactly this run's containers.
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { engineEnv, infra } from '../helpers/infra.js';

export const RUN_ID = `lc-${process.pid}-${Date.now()}`;
const BASE = infra.CAC_TEST_BASE_IMAGE ?? 'cac-test/base:bookworm';

export type FixtureName = 'image' | 'dockerfile' | 'feature' | 'postcreate';

export function makeWorkspace(name: string, files: Record<string, string>, devcontainer: Record<string, unknown>): string {
  const root = mkdtempSync(join(tmpdir(), `cac-e2e-${name}-`));
  const dc = { name, ...devcontainer, runArgs: ['--label', `cac.test-run=${RUN_ID}`] };
  files['.devcontainer/devcontainer.json'] = `// fixture ${name}\n${JSON.stringify(dc, null, 2)}\n`;
  files['README.md'] = `fixture ${name}\n`;
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
    if (path.endsWith('.sh')) chmodSync(join(root, path), 0o755);
  }
  // as root the devcontainer CLI does not remap the remote user's UID: give the workspace to uid 1000
  execFileSync('chown', ['-R', '1000:1000', root]);
  return root;
}

export function fixture(name: FixtureName): { folder: string; user: string; check: string } {
  switch (name) {
    case 'image':
      return { folder: makeWorkspace(name, {}, { image: BASE }), user: 'root', check: 'test -d /workspaces' };
    case 'dockerfile':
      return {
        folder: makeWorkspace(name, { '.devcontainer/Dockerfile': `FROM ${BASE}\nRUN echo built > /etc/dockerfile-marker\n` }, { build: { dockerfile: 'Dockerfile' }, remoteUser: 'dev' }),
        user: 'dev',
        check: 'grep -q built /etc/dockerfile-marker',
      };
    case 'feature':
      return {
        folder: makeWorkspace(
          name,
          {
            '.devcontainer/local-feat/devcontainer-feature.json': JSON.stringify({
              id: 'local-feat',
              version: '1.0.0',
              name: 'local feature',
              options: { greeting: { type: 'string', default: 'hello' } },
            }),
            '.devcontainer/local-feat/install.sh': '#!/bin/sh\nset -e\necho "$GREETING" > /etc/cac-feature-greeting\n',
          },
          { image: BASE, features: { './local-feat': { greeting: 'hi-from-feature' } }, remoteUser: 'dev' },
        ),
        user: 'dev',
        check: 'grep -q hi-from-feature /etc/cac-feature-greeting',
      };
    case 'postcreate':
      return {
        folder: makeWorkspace(name, {}, { image: BASE, remoteUser: 'dev', postCreateCommand: 'echo made > /tmp/post-created' }),
        user: 'dev',
        check: 'grep -q made /tmp/post-created',
      };
  }
}

/** Containers (any state) of a workspace folder. */
export function containersOf(folder: string): string[] {
  return execFileSync('docker', ['ps', '-aq', '--filter', `label=devcontainer.local_folder=${folder}`], { env: { ...process.env, ...engineEnv() }, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
}

/** Remove every container this test run created (by its label), whatever happened in the tests. */
export function cleanupRun(): void {
  const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=cac.test-run=${RUN_ID}`], { env: { ...process.env, ...engineEnv() }, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  if (ids.length) execFileSync('docker', ['rm', '-f', '-v', ...ids], { env: { ...process.env, ...engineEnv() }, stdio: 'ignore' });
}
