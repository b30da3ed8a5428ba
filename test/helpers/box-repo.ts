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
