import { describe, expect, it } from 'vitest';
import { parseDotenv } from '../../../src/core/secrets/dotenv.js';
import type { CacError } from '../../../src/errors.js';

const names = (text: string) => parseDotenv(text).map((e) => e.name);

describe('parseDotenv', () => {
  it('reads names from plain, quoted, exported and commented lines', () => {
    const text = [
      '# a comment',
      '',
      'PLAIN=value',
      'export EXPORTED=1',
      '  SPACED = with spaces # inline comment',
      "SINGLE='single \\ # not a comment'",
      'DOUBLE="a \\"quoted\\" value"   # trailing comment',
      'EMPTY=',
      'DOTTED.NAME-X=ok',
      'WINDOWS=crlf\r',
    ].join('\n');
    expect(names(text)).toEqual(['PLAIN', 'EXPORTED', 'SPACED', 'SINGLE', 'DOUBLE', 'EMPTY', 'DOTTED.NAME-X', 'WINDOWS']);
  });

  it('follows multi-line quoted values and keeps line numbers right', () => {
    const text = 'KEY="-----BEGIN KEY-----\nline2=looks like an assignment\n-----END KEY-----"\nNEXT=1\nBACKTICK=`a\nb`\nLAST=2';
    expect(parseDotenv(text)).toEqual([
      { name: 'KEY', line: 1 },
      { name: 'NEXT', line: 4 },
      { name: 'BACKTICK', line: 5 },
      { name: 'LAST', line: 7 },
    ]);
  });

  it('lists a name set twice twice (the later value wins when loaded)', () => {
    expect(names('A=1\nA=2\n')).toEqual(['A', 'A']);
  });

  it.each([
    ['a line without =', 'A=1\nsk-canary-secret-value\n', 2, 'expected KEY=VALUE'],
    ['a bad name', 'A=1\nB=2\n1BAD=canary-x\n', 3, 'expected KEY=VALUE'],
    ['an unterminated quote', 'A=1\nB="canary-open\nC=3\n', 2, 'never closed'],
    ['text after a closing quote', 'A="x\ncanary"junk\n', 2, 'after the closing quote'],
  ])('%s is ERR_DOTENV with the line number and no content', (_n, text, line, what) => {
    try {
      parseDotenv(text);
      expect.unreachable();
    } catch (e) {
      expect((e as CacError).code).toBe('ERR_DOTENV');
      expect((e as Error).message).toBe(`.env line ${line}: ${(e as Error).message.split(': ').slice(1).join(': ')}`);
      expect((e as Error).message).toContain(what);
      expect((e as Error).message + ((e as CacError).hint ?? '')).not.toContain('canary');
    }
  });
});
