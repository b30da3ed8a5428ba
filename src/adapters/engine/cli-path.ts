// The reference devcontainer CLI, resolved from cac's own dependencies (never a global install).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';

export interface DevcontainerCli {
  /** Absolute path of the CLI's entry script (run with the current Node). */
  script: string;
  version: string;
}

let cached: DevcontainerCli | undefined;

/** The pinned @devcontainers/cli cac depends on: its entry point and version. */
export function devcontainerCli(): DevcontainerCli {
  if (cached) return cached;
  const pkgPath = createRequire(import.meta.url).resolve('@devcontainers/cli/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string; bin: Record<string, string> };
  cached = { script: join(dirname(pkgPath), pkg.bin.devcontainer ?? 'devcontainer.js'), version: pkg.version };
  return cached;
}
