// The command-line splitter of [boxes.command]: sh's word rules, no shell, shell syntax refused.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellWords } from '../../../src/domain/shell-words.js';
import { isCacError } from '../../../src/errors.js';

const refused = (line: string): string => {
  try {
    shellWords(line);
  } catch (e) {
    if (isCacError(e) && e.code === 'ERR_INVALID_INPUT') return e.message;
    throw e;
  }
  throw new Error(`not refused: ${line}`);
};

describe('shellWords', () => {
  it.each([
    ['/opt/box create', ['/opt/box', 'create']],
    ['  /opt/box\tcreate  --zone  eu-1 ', ['/opt/box', 'create', '--zone', 'eu-1']],
    [`box 'a b' "c d" e\\ f`, ['box', 'a b', 'c d', 'e f']],
    [`box '' ""`, ['box', '', '']],
    [`box a'b'"c"d`, ['box', 'abcd']],
    [`box "it's" 'say "hi"'`, ['box', "it's", 'say "hi"']],
    [`box "a \\"q\\" \\\\ \\$x"`, ['box', 'a "q" \\ $x']],
    [`box "keep \\n as is"`, ['box', 'keep \\n as is']],
    [`box 'no $expansion; | here'`, ['box', 'no $expansion; | here']],
    ['box a#b --x=1,2', ['box', 'a#b', '--x=1,2']],
    ['box one \\\n two', ['box', 'one', 'two']],
    ['box {a,b} ~user', ['box', '{a,b}', '~user']],
  ])('%s', (line, argv) => {
    expect(shellWords(line)).toEqual(argv);
  });

  it('splits like a real sh does, for every case without shell syntax', () => {
    for (const line of [`box 'a b' "c d" e\\ f`, `box a'b'"c"d`, `box "it's" 'say "hi"'`, `box "a \\"q\\" \\\\"`, 'box a#b']) {
      const sh = execFileSync('sh', ['-c', `for a in ${line.replace(/^box/, '')}; do printf '%s\\0' "$a"; done`], { encoding: 'utf8' });
      expect(shellWords(line).slice(1)).toEqual(sh.split('\0').slice(0, -1));
    }
  });

  it('expands a leading ~ only when unquoted and given a home', () => {
    expect(shellWords('~/bin/box create ~', '/home/me')).toEqual(['/home/me/bin/box', 'create', '/home/me']);
    expect(shellWords("'~/bin/box' a~/b", '/home/me')).toEqual(['~/bin/box', 'a~/b']);
    expect(shellWords('~/bin/box')).toEqual(['~/bin/box']);
  });

  it.each([
    ['box | tee log', 'unquoted | needs a shell'],
    ['box > out', 'unquoted > needs a shell'],
    ['box; rm -rf /', 'unquoted ; needs a shell'],
    ['box $HOME', 'unquoted $ needs a shell'],
    ['box `id`', 'unquoted ` needs a shell'],
    ['box "$HOME"', '$ inside double quotes needs a shell'],
    ['box *.json', 'unquoted * needs a shell'],
    ['box # comment', 'unquoted # needs a shell'],
    ["box 'open", 'unterminated single quote'],
    ['box "open', 'unterminated double quote'],
    ['box \\', 'a backslash at the end'],
    ['   ', 'no program named'],
  ])('refuses %s', (line, why) => {
    expect(refused(line)).toContain(why);
  });
});
