// The test helpers and the shell read `.infra/env` the same way: scripts/infra.d/env.sh writes it,
// `set -a; . .infra/env` loads it, test/helpers/infra.ts parses it. And the CI gate of the engine lanes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseInfraEnv, readInfraEnv, underCI } from '../helpers/infra.js';
import { REPO_ROOT } from '../helpers/run-cli.js';

const ENV_SH = join(REPO_ROOT, 'scripts/infra.d/env.sh');

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'cac-infra-env-'));
  dirs.push(d);
  return d;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = { PATH: process.env.PATH }) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** What a POSIX shell gets from `set -a; . file`, for the given keys (env -0, so any value survives). */
function sourcedByShell(file: string, keys: string[]): Record<string, string> {
  const all = run('sh', ['-c', 'set -a; . "$1"; env -0', 'sh', file]).split('\0');
  const env = Object.fromEntries(all.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  return Object.fromEntries(keys.map((k) => [k, env[k] ?? `<${k} not set>`]));
}

describe('.infra/env: what scripts/infra writes, the shell and the test helpers read alike', () => {
  const values: Record<string, string> = {
    DOCKER_HOST: 'unix:///var/run/docker.sock',
    CAC_TEST_REDIS_URL: 'redis://127.0.0.1:16379',
    CAC_TEST_SSH_HOST_KEY: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOv0W6bkn2cJ0n6Gq0C2h3xF9pY1M7r2aXyJm4bYV8tK',
    CAC_TEST_SSH_KEY: '/work/a dir with spaces/.infra/ssh/id_ed25519',
    QUOTES: `it's "quoted" and 'twice'`,
    SHELL_SPECIALS: '$HOME `id` $(id) \\n \\ ; & | < > * ? [a] # ~ !x %s',
    EMPTY: '',
    ONLY_A_QUOTE: "'",
  };

  it('every value is quoted, and sourcing the file gives exactly what readInfraEnv parses', () => {
    const file = join(tempDir(), 'env');
    run('bash', ['-euc', '. "$1"; shift; write_env_file "$@"', 'bash', ENV_SH, file, ...Object.entries(values).flat()]);
    const text = readFileSync(file, 'utf8');
    for (const line of text.trimEnd().split('\n')) expect(line).toMatch(/^[A-Z_]+='.*'$/);
    const keys = Object.keys(values);
    expect(sourcedByShell(file, keys)).toEqual(values);
    expect(readInfraEnv(file)).toEqual(values);
  });

  it('refuses a value with a newline and leaves no file behind', () => {
    const dir = tempDir();
    const r = spawnSync('bash', ['-c', '. "$1"; write_env_file "$2/env" A "$(printf "one\\ntwo")"', 'bash', ENV_SH, dir], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('the value of A has a newline');
    expect(readInfraEnv(join(dir, 'env'))).toEqual({});
    expect(run('ls', ['-A', dir])).toBe('');
  });

  it('scripts/infra reads a value back without its quotes', () => {
    const file = join(tempDir(), 'env');
    run('bash', ['-euc', '. "$1"; write_env_file "$2" DOCKER_HOST "unix:///x y.sock" K "a\'b"', 'bash', ENV_SH, file]);
    expect(run('bash', ['-euc', '. "$1"; env_file_get "$2" DOCKER_HOST; echo; env_file_get "$2" K', 'bash', ENV_SH, file])).toBe("unix:///x y.sock\na'b");
  });

  it('still reads the unquoted form written before, the host key whole', () => {
    const legacy = [
      'DOCKER_HOST=unix:///var/run/docker.sock',
      'CAC_TEST_REDIS_URL=redis://127.0.0.1:16379',
      'CAC_TEST_SSH_PORT=12222',
      'CAC_TEST_SSH_HOST_KEY=ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOv0W6bkn2cJ0n6Gq0C2h3xF9pY1M7r2aXyJm4bYV8tK',
      '',
    ].join('\n');
    expect(parseInfraEnv(legacy, 'env')).toEqual({
      DOCKER_HOST: 'unix:///var/run/docker.sock',
      CAC_TEST_REDIS_URL: 'redis://127.0.0.1:16379',
      CAC_TEST_SSH_PORT: '12222',
      CAC_TEST_SSH_HOST_KEY: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOv0W6bkn2cJ0n6Gq0C2h3xF9pY1M7r2aXyJm4bYV8tK',
    });
    // the shell's reader still gets the other keys out of such a file
    const file = join(tempDir(), 'env');
    writeFileSync(file, legacy);
    expect(run('bash', ['-euc', '. "$1"; env_file_get "$2" CAC_TEST_SSH_PORT', 'bash', ENV_SH, file])).toBe('12222');
  });

  it.each([
    ["A='unterminated", /env:2: unterminated ' at column 1/],
    ['A="double quoted"', /env:2: "\\"" outside quotes at column 1/],
    ["A='two' 'words'", /env:2: " " outside quotes at column 6/],
    ['not a line', /env:2: not a KEY='value' line/],
  ])('names the line it cannot read as the shell would: %s', (line, error) => {
    expect(() => parseInfraEnv(`OK='1'\n${line}\n`, 'env')).toThrow(error);
  });
});

describe('underCI: the engine lanes fail instead of skipping under any CI', () => {
  it.each([
    ['true', true],
    ['1', true],
    ['yes', true],
    ['TRUE', true],
    ['woodpecker', true],
    ['false', false],
    ['FALSE', false],
    ['0', false],
    ['', false],
    [undefined, false],
  ])('CI=%s -> %s', (ci, expected) => {
    expect(underCI(ci === undefined ? {} : { CI: ci })).toBe(expected);
  });
});
