import { describe, expect, it } from 'vitest';
import { branchProblem, validateBoxId, validateBranch, validateClaimant, validateRepoUrl } from '../../../src/domain/validate.js';
import { isHostName, isLoginName } from '../../../src/domain/hosts.js';
import { configPoolFields, validatePool, validatePools } from '../../../src/domain/pool.js';
import { isCacError } from '../../../src/errors.js';

/** The error `fn` throws, checked to be exit-2 ERR_INVALID_INPUT. */
function invalid(fn: () => unknown): { message: string; field: unknown } {
  try {
    fn();
  } catch (e) {
    if (!isCacError(e)) throw e;
    expect(e.code).toBe('ERR_INVALID_INPUT');
    expect(e.exitCode).toBe(2);
    return { message: e.message, field: e.details?.field };
  }
  throw new Error('expected ERR_INVALID_INPUT');
}

describe('validateRepoUrl', () => {
  it.each([
    'https://github.com/acme/app.git',
    'https://git.example.test:8443/group/sub/app',
    'ssh://git@github.com/acme/app.git',
    'ssh://git.example.test:2222/srv/app.git',
    'git@github.com:acme/app.git',
    'deploy@git.example.test:app.git',
    'example.test:repos/app.git',
    'file:///srv/git/app.git',
    'file://localhost/srv/git/app.git',
    '/srv/git/app',
  ])('accepts %s', (url) => {
    expect(validateRepoUrl(url)).toBe(url);
  });

  it.each([
    ['', 'is empty'],
    ['ftp://example.test/app.git', 'scheme ftp:// is not supported'],
    ['http://example.test/app.git', 'scheme http:// is not supported'],
    ['https://user:s3cret@example.test/app.git', 'must not carry a password'],
    ['https://example.test', 'has no repository path'],
    ['https://example.test/', 'has no repository path'],
    ['file://otherhost/srv/app', 'must name a local path'],
    ['file:///', 'has no path'],
    ['relative/path', 'is not a URL'],
    ['./app', 'is not a URL'],
    ['--upload-pack=/tmp/x', 'must not start with "-"'],
    ['https://example.test/a b.git', 'whitespace or control characters'],
    ['https://example.test/app.git\n', 'whitespace or control characters'],
    ['git@host:', 'is not a URL'],
    // git transports: ext:: runs the command it names, fd:: talks to a file descriptor
    ['ext::sh -c touch% /tmp/pwned', 'whitespace'],
    ['ext::sh%-c%touch%/tmp/pwned', 'names a git transport'],
    ['fd::3', 'names a git transport'],
    ['fd::3/app', 'names a git transport'],
    ['git-remote-x::whatever', 'names a git transport'],
    // options in disguise: ssh reads a host or user "-o…" as an option
    ['ssh://-oProxyCommand=touch%20x/app', 'has a host or user starting with "-"'],
    ['ssh://-oProxyCommand=x@host.test/app', 'has a host or user starting with "-"'],
    ['host.test:-u/app.git', 'has a user or path starting with "-"'],
    ['https://example.test/a\u202egpj.git', 'invisible or text-direction characters'],
    ['https://example.test/a\u0085.git', 'invisible or text-direction characters'],
  ])('refuses %j: %s', (url, problem) => {
    const e = invalid(() => validateRepoUrl(url, '--repo'));
    expect(e.message).toMatch(/^--repo: /);
    expect(e.message).toContain(problem);
    expect(e.field).toBe('--repo');
  });
});

describe('validateRepoUrl: credentials in URLs', () => {
  it.each([
    ['https://ghp_SECRETTOKEN@github.com/acme/app.git', 'https://***@github.com/acme/app.git', 'must not carry a user name or token'],
    ['https://x-access-token:SECRETTOKEN@github.com/acme/app.git', 'https://***@github.com/acme/app.git', 'must not carry a password'],
    ['https://:SECRETTOKEN@github.com/acme/app.git', 'https://***@github.com/acme/app.git', 'must not carry a password'],
    ['https://@github.com/acme/app.git', 'https://***@github.com/acme/app.git', 'must not carry a user name or token'],
    ['ssh://git:SECRETTOKEN@github.com/acme/app.git', 'ssh://git:***@github.com/acme/app.git', 'must not carry a password'],
    ['http://SECRETTOKEN@example.test/app.git', 'http://***@example.test/app.git', 'scheme http:// is not supported'],
  ])('refuses %s without repeating the secret', (url, shown, problem) => {
    const e = invalid(() => validateRepoUrl(url, 'pools[0].repo_url'));
    expect(e.message).toBe(`pools[0].repo_url: ${JSON.stringify(shown)} ${problem}`);
    expect(e.message).not.toContain('SECRETTOKEN');
  });

  it('keeps the user of ssh:// and user@host:path URLs (an SSH login name, not a secret)', () => {
    expect(validateRepoUrl('ssh://git@github.com/acme/app.git')).toBe('ssh://git@github.com/acme/app.git');
    expect(validateRepoUrl('git@github.com:acme/app.git')).toBe('git@github.com:acme/app.git');
  });

  it('points at a credential helper or SSH', () => {
    try {
      validateRepoUrl('https://tok@example.test/app.git', '--repo');
    } catch (e) {
      expect(isCacError(e) && e.hint).toMatch(/credential helper.*SSH/);
      return;
    }
    throw new Error('expected a refusal');
  });
});

describe('validateClaimant', () => {
  it.each(['bob', 'ticket-42', 'ci/job#123', 'alice@example.test', 'github:acme/app#7', 'a_b.c+d', 'x'.repeat(128)])('accepts %s', (name) => {
    expect(validateClaimant(name, '--for')).toBe(name);
  });

  it.each([
    ['', 'is not a claimant name'],
    ['-rf', 'is not a claimant name'],
    ['a b', 'is not a claimant name'],
    ['\u001b[31mred', 'is not a claimant name'],
    ['boss\u202e', 'is not a claimant name'],
    ['line\nbreak', 'is not a claimant name'],
    ['x'.repeat(129), 'is longer than 128 characters'],
  ])('refuses %j', (name, problem) => {
    const e = invalid(() => validateClaimant(name, '--for'));
    expect(e.message).toMatch(/^--for: /);
    expect(e.message).toContain(problem);
  });
});

describe('SSH endpoint names', () => {
  it('hosts: DNS names and IP addresses only', () => {
    expect(['h', 'vm-1.example.test', '10.0.0.5', '::1', 'example.test.', 'a_b.internal'].every(isHostName)).toBe(true);
    expect(['', '-oProxyCommand=x', 'a b', 'a..b', '.a', 'u@h', 'h\u001b', 'x'.repeat(64), 'a-.b'].some(isHostName)).toBe(false);
  });

  it('users: login names only', () => {
    expect(['cac', 'ec2-user', 'first.last', '_svc', 'machine$'].every(isLoginName)).toBe(true);
    expect(['', '-o', '.x', 'a b', 'u@h', 'x'.repeat(33), 'r\u001b'].some(isLoginName)).toBe(false);
    expect(isLoginName('x'.repeat(32))).toBe(true);
  });
});

describe('validateBranch (git check-ref-format --branch rules)', () => {
  // each verdict checked against git 2.39 `git check-ref-format --branch` (except "@", which `git branch` refuses)
  // git allows shell metacharacters like $( ) ; ' in branch names: they are legal and get quoted, not refused
  it.each(['main', 'feature/x', 'release-1.2', 'a/b/c', 'fix_ü', 'a@b', 'a.b', 'v1.0', 'x@', 'foo.lock.x', '$(id)', "it's", 'a;b'])('accepts %s', (name) => {
    expect(branchProblem(name)).toBeUndefined();
  });

  it.each([
    ['-x', 'start with "-"'],
    ['HEAD', 'not a branch name'],
    ['@', 'not a branch name'],
    ['a b', 'space'],
    ['a\tb', 'control character'],
    ['a~1', '~'],
    ['a^', '^'],
    ['a:b', ':'],
    ['a?', '?'],
    ['a*', '*'],
    ['a[b', '['],
    ['a\\b', '\\'],
    ['a..b', '".."'],
    ['a@{1}', '"@{"'],
    ['/a', 'empty path component'],
    ['a/', 'empty path component'],
    ['a//b', 'empty path component'],
    ['a.', 'ends with "."'],
    ['.a', 'starting with "."'],
    ['a/.b', 'starting with "."'],
    ['a.lock', '.lock'],
    ['a/b.lock/c', '.lock'],
    ['main; touch pwned', 'space'],
    ['', 'is empty'],
    ['x'.repeat(201), 'longer than 200'],
  ])('refuses %j', (name, problem) => {
    expect(branchProblem(name)).toContain(problem);
  });

  it('names the field in the error', () => {
    expect(invalid(() => validateBranch('a..b', '--branch')).message).toBe('--branch: "a..b" contains ".."');
  });
});

describe('validatePool and validatePools', () => {
  const pool = { repoUrl: 'https://example.test/acme/app.git', baseBranch: 'main', minStandby: 2, maxInstances: 4 };

  it('accepts a sound pool, and min_standby 0', () => {
    expect(validatePool(pool)).toEqual(pool);
    expect(validatePool({ ...pool, minStandby: 0 })).toMatchObject({ minStandby: 0 });
  });

  it.each([
    [{ minStandby: -1 }, 'minStandby: -1 must be a whole number ≥ 0'],
    [{ minStandby: 1.5 }, 'minStandby: 1.5 must be a whole number ≥ 0'],
    [{ maxInstances: 0 }, 'maxInstances: 0 must be a whole number ≥ 1'],
    [{ minStandby: 5, maxInstances: 2 }, 'minStandby: 5 exceeds maxInstances 2'],
    [{ repoUrl: 'nope' }, 'repoUrl: "nope" is not a URL'],
    [{ baseBranch: 'a..b' }, 'baseBranch: "a..b" contains ".."'],
  ])('refuses %j', (override, message) => {
    expect(invalid(() => validatePool({ ...pool, ...override })).message).toContain(message);
  });

  it('names config fields by their TOML path, and refuses a pool defined twice', () => {
    expect(invalid(() => validatePools([pool, { ...pool, minStandby: -2 }], configPoolFields)).message).toMatch(/^pools\[1\]\.min_standby: -2/);
    const twice = invalid(() => validatePools([pool, { ...pool, minStandby: 1 }], configPoolFields));
    expect(twice.field).toBe('pools[1].repo_url');
    expect(twice.message).toContain('defined twice (entries 0 and 1)');
    expect(validatePools([pool, { ...pool, baseBranch: 'dev' }])).toHaveLength(2);
  });
});

describe('validateBoxId', () => {
  it('accepts box_ + 12 lowercase alphanumerics only', () => {
    expect(validateBoxId('box_0123456789ab')).toBe('box_0123456789ab');
    for (const bad of ['box_0123456789AB', 'box_123', '../box_0123456789ab', 'vm-1', '']) expect(invalid(() => validateBoxId(bad, '<id>')).field).toBe('<id>');
  });
});
