// Real engines for the integration and e2e lanes, from `.infra/env` written by `scripts/infra up`.
// Under CI (any non-empty CI but `false`/`0`, as CI services set it: `true`, `1`, `yes`, ...) a missing
// engine FAILS the lane; locally the suite is skipped with a line saying how to start it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'vitest';
import { REPO_ROOT } from './run-cli.js';

export type Engine = 'docker' | 'redis' | 'ssh';

const INFRA_ENV_FILE = join(REPO_ROOT, '.infra/env');

/**
 * The endpoints in `.infra/env`, read as `set -a; . .infra/env` would: scripts/infra.d/env.sh writes
 * KEY='value' lines (a ' inside written as '\''). A value with no quote or backslash is taken whole, as
 * files written before values were quoted have it (`KEY=ssh-ed25519 AAAA...`). Anything else throws
 * with file:line, rather than guess at what the shell would make of it.
 */
export function readInfraEnv(file = INFRA_ENV_FILE): Record<string, string> {
  if (!existsSync(file)) return {};
  return parseInfraEnv(readFileSync(file, 'utf8'), file);
}

export function parseInfraEnv(text: string, file: string): Record<string, string> {
  const env: Record<string, string> = {};
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m?.[1]) throw new Error(`${file}:${i + 1}: not a KEY='value' line`);
    const value = m[2] ?? '';
    try {
      env[m[1]] = /['"\\]/.test(value) ? shellWord(value) : value;
    } catch (e) {
      throw new Error(`${file}:${i + 1}: ${(e as Error).message} (write values as KEY='value')`);
    }
  });
  return env;
}

/** One shell word made of '...' runs, \-escapes and characters the shell takes as they are. */
function shellWord(word: string): string {
  let out = '';
  let i = 0;
  while (i < word.length) {
    const c = word[i] ?? '';
    if (c === "'") {
      const end = word.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' at column ${i + 1}`);
      out += word.slice(i + 1, end);
      i = end + 1;
    } else if (c === '\\' && i + 1 < word.length) {
      out += word[i + 1];
      i += 2;
    } else if (/[A-Za-z0-9_@%+=:,./-]/.test(c)) {
      out += c;
      i += 1;
    } else {
      throw new Error(`${JSON.stringify(c)} outside quotes at column ${i + 1}`);
    }
  }
  return out;
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

/** True when running under CI: CI is set to anything but empty, `false` or `0`. */
export function underCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = (env.CI ?? '').trim().toLowerCase();
  return ci !== '' && ci !== 'false' && ci !== '0';
}

/** describe() that runs only when the engines answer; fails under CI, skips (visibly) otherwise. */
export function describeWith(engines: Engine[], name: string, fn: () => void): void {
  const problems = engines.map(answers).filter((p): p is string => p !== undefined);
  if (problems.length === 0) {
    describe(name, fn);
    return;
  }
  if (underCI()) {
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
