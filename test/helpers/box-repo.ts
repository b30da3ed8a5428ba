// The repository the provisioning e2e test and bench put on boxes: branches main and feature (which adds
// feature.txt, same devcontainer config) and a .devcontainer on cac-test/base:bookworm as the non-root
// user dev (the box preloads the image: no registry needed).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function makeBoxRepo(dir: string): void {
  const git = (...args: string[]) => execFileSync('git', ['-C', dir, '-c', 'user.name=cac-test', '-c', 'user.email=test@example.invalid', ...args]);
  mkdirSync(join(dir, '.devcontainer'), { recursive: true });
  git('init', '-q', '-b', 'main');
  writeFileSync(join(dir, '.devcontainer/devcontainer.json'), '{\n  "image": "cac-test/base:bookworm",\n  "remoteUser": "dev", // comments and trailing commas are JSONC\n}\n');
  writeFileSync(join(dir, 'README.md'), 'on main\n');
  git('add', '-A');
  git('commit', '-qm', 'main');
  git('checkout', '-qb', 'feature');
  writeFileSync(join(dir, 'feature.txt'), 'on feature\n');
  git('add', '-A');
  git('commit', '-qm', 'feature');
  git('checkout', '-q', 'main');
}

/**
 * A repository whose dev container is a Compose config: an `app` service built from a Dockerfile (the
 * `service`, as the non-root user dev) beside a `cache` service, both on cac-test/base:bookworm (preloaded).
 * Branch feature changes only the Dockerfile, so a claim for it rebuilds `app`.
 */
export function makeComposeBoxRepo(dir: string, base: string): void {
  const git = (...args: string[]) => execFileSync('git', ['-C', dir, '-c', 'user.name=cac-test', '-c', 'user.email=test@example.invalid', ...args]);
  const dockerfile = (marker: string) => `FROM ${base}\nRUN echo ${marker} > /etc/app-marker\n`;
  mkdirSync(join(dir, '.devcontainer'), { recursive: true });
  git('init', '-q', '-b', 'main');
  writeFileSync(
    join(dir, '.devcontainer/devcontainer.json'),
    `${JSON.stringify({ dockerComposeFile: 'compose.yml', service: 'app', workspaceFolder: '/workspaces/app', remoteUser: 'dev' }, null, 2)}\n`,
  );
  writeFileSync(
    join(dir, '.devcontainer/compose.yml'),
    [
      'version: "3"',
      'services:',
      '  app:',
      '    build: { context: ., dockerfile: Dockerfile }',
      '    volumes: ["..:/workspaces/app:cached"]',
      '    command: sleep infinity',
      '  cache:',
      `    image: ${base}`,
      '    command: sleep infinity',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, '.devcontainer/Dockerfile'), dockerfile('app-built-main'));
  writeFileSync(join(dir, 'README.md'), 'compose on main\n');
  git('add', '-A');
  git('commit', '-qm', 'main');
  git('checkout', '-qb', 'feature');
  writeFileSync(join(dir, '.devcontainer/Dockerfile'), dockerfile('app-built-feature'));
  git('add', '-A');
  git('commit', '-qm', 'feature');
  git('checkout', '-q', 'main');
}
