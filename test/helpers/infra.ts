// Real engines for the integration and e2e lanes, from `.infra/env` written by `scripts/infra up`.
// Under CI=true a missing engine FAILS the lane; locally the suite is skipped with a line saying how
// to start it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'vitest';
import { REPO_ROOT } from './run-cli.js';

export type Engine = 'docker' | 'redis' | 'ssh';

const INFRA_ENV_FILE = join(REPO_ROOT, '.infra/env');

export function readInfraEnv(): Record<string, string> {
  if (!existsSync(INFRA_ENV_FILE)) return {};
  const env: Record<string, string> = {};
  for (const line of readFileSync(INFRA_ENV_FILE, 'utf8').split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m?.[1]) env[m[1]] = m[2] ?? '';
  }
  return env;
}

export const infra = readInfraEnv();

function answers(engine: Engine): string | undefined {
  const need: Record<Engine, string[]> = {
    docker: ['DOCKER_HOST'],
    redis: ['CAC_TEST_REDIS_URL'],
    ssh: ['CAC_TEST_SSH_PORT', 'CAC_TEST_SSH_KEY', 'CAC_TEST_SSH_HOST_KEY'],
  };
  const missing = need[engine].filter((k) => !infra[k]);
  if (missing.length) return `${engine}: ${missing.join(', ')} not in .infra/env`;
  if (engine === 'docker') {
    try {
      execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], { env: { ...process.env, DOCKER_HOST: infra.DOCKER_HOST }, stdio: 'pipe', timeout: 10_000 });
    } catch {
      return `docker: no engine answers at ${infra.DOCKER_HOST}`;
    }
  }
  return undefined;
}

/** describe() that runs only when the engines answer; fails under CI, skips (visibly) otherwise. */
export function describeWith(engines: Engine[], name: string, fn: () => void): void {
  const problems = engines.map(answers).filter((p): p is string => p !== undefined);
  if (problems.length === 0) {
    describe(name, fn);
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('has its engines', () => {
        throw new Error(`engine missing under CI: ${problems.join('; ')} (scripts/infra up must run first)`);
      });
    });
    return;
  }
  process.stderr.write(`skipping "${name}": ${problems.join('; ')}. run: just infra-up\n`);
  describe.skip(name, fn);
}

/** Environment for child processes that talk to the test engines. */
export function engineEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '', DOCKER_HOST: infra.DOCKER_HOST ?? '' };
}
