import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { quote, quoteArgv, sh } from '../../src/util/shell.js';

// Runs the quoted words through a real POSIX sh and returns the argv it saw.
function throughSh(line: string): string[] {
  const out = execFileSync('sh', ['-c', `for a in ${line}; do printf '%s\\0' "$a"; done`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

const hostile = [
  'main; touch /tmp/cac-pwned',
  '$(id)',
  '`id`',
  "it's",
  '"double"',
  'new\nline',
  'glob*?[a]',
  '~root',
  ' leading and trailing ',
  '',
  '-n',
  '\\back\\slash',
  '$HOME ${PATH}',
  'a|b&c>d<e',
  'ünïcödé ✓',
];

describe('shell quoting', () => {
  it.each(hostile)('passes %j through sh unchanged', (value) => {
    expect(throughSh(quote(value))).toEqual([value]);
  });

  it('quotes a whole argv', () => {
    expect(throughSh(quoteArgv(hostile))).toEqual(hostile);
  });

  it('leaves safe words bare and quotes the rest', () => {
    expect(quote('refs/heads/main')).toBe('refs/heads/main');
    expect(quote('a b')).toBe("'a b'");
    expect(quote('')).toBe("''");
  });

  it('sh`` quotes every interpolated value and nothing else', () => {
    const branch = 'x; touch pwned';
    const script = sh`git checkout ${branch} && echo ${['a b', 'c']} ${3}`;
    expect(script).toBe("git checkout 'x; touch pwned' && echo 'a b' c 3");
  });

  it('a command line whose first words contain "=" runs them as programs and arguments, never as assignments', () => {
    // `cac box ssh <id> -- X=y cmd`: the remote shell must run a program named X=y, not set X
    const bin = mkdtempSync(join(tmpdir(), 'cac-quote-bin-'));
    writeFileSync(join(bin, 'X=y'), '#!/bin/sh\nprintf "ran X=y with [%s] X=[%s]" "$*" "${X-unset}"\n');
    chmodSync(join(bin, 'X=y'), 0o755);
    const line = quoteArgv(['X=y', 'A=b', 'c']);
    const out = execFileSync('sh', ['-c', line], { encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin` } });
    expect(out).toBe('ran X=y with [A=b c] X=[unset]');
    expect(quote('X=y')).toBe("'X=y'");
  });

  it('refuses NUL bytes with a clear error', () => {
    expect(() => quote('a\0b')).toThrow(/NUL byte/);
  });

  it('nothing hostile runs', () => {
    const marker = `/tmp/cac-quote-${process.pid}`;
    execFileSync('sh', ['-c', `echo ${quote(`; touch ${marker}`)} >/dev/null; echo ${quote(`$(touch ${marker})`)} >/dev/null`]);
    expect(() => execFileSync('test', ['-e', marker])).toThrow();
  });
});
