// Splits a configured command line (`[boxes.command] create = "/opt/box create --zone 'eu 1'"`) into an
// argv the way sh would split it, but runs no shell: quotes and backslashes are honoured, and shell
// syntax that would need a shell (pipes, redirects, $vars, globs…) is refused, so nothing surprises.
import { CacError } from '../errors.js';

// unquoted characters that mean something to sh that we do not do
const SHELL_SYNTAX = new Set(['|', '&', ';', '<', '>', '(', ')', '$', '`', '*', '?', '[']);

function refuse(line: string, why: string): CacError {
  return new CacError('ERR_INVALID_INPUT', `cannot split the command ${JSON.stringify(line)}: ${why}`, {
    hint: 'quote the character, or put the pipeline in a small script and name the script',
  });
}

/** The argv of `line`; a leading `~/` in an unquoted word is the given home. Throws ERR_INVALID_INPUT. */
export function shellWords(line: string, home?: string): string[] {
  const words: string[] = [];
  const cur = { text: '', open: false }; // open: inside a word (an empty '' is a word too)
  const add = (text: string): void => {
    cur.text += text;
    cur.open = true;
  };
  let i = 0;
  while (i < line.length) {
    const c = line[i] as string;
    if (c === ' ' || c === '\t' || c === '\n') {
      if (cur.open) words.push(cur.text);
      cur.text = '';
      cur.open = false;
      i++;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw refuse(line, 'unterminated single quote');
      add(line.slice(i + 1, end));
      i = end + 1;
    } else if (c === '"') {
      add(''); // "" is an (empty) word
      i = readDouble(line, i + 1, add);
    } else if (c === '\\') {
      if (i + 1 >= line.length) throw refuse(line, 'a backslash at the end');
      if (line[i + 1] !== '\n') add(line[i + 1] as string); // backslash-newline continues the line
      i += 2;
    } else if (SHELL_SYNTAX.has(c) || (c === '#' && !cur.open)) {
      throw refuse(line, `unquoted ${c} needs a shell`);
    } else if (c === '~' && !cur.open && home !== undefined && (line[i + 1] === '/' || i + 1 === line.length || /\s/.test(line[i + 1] ?? ''))) {
      add(home);
      i++;
    } else {
      add(c);
      i++;
    }
  }
  if (cur.open) words.push(cur.text);
  if (words.length === 0) throw refuse(line, 'no program named');
  return words;
}

/** Reads a double-quoted part starting after the opening quote; returns the index after the closing one. */
function readDouble(line: string, start: number, add: (text: string) => void): number {
  let i = start;
  while (i < line.length) {
    const c = line[i] as string;
    if (c === '"') return i + 1;
    if (c === '$' || c === '`') throw refuse(line, `${c} inside double quotes needs a shell`);
    if (c === '\\' && i + 1 < line.length && '"\\$`\n'.includes(line[i + 1] as string)) {
      if (line[i + 1] !== '\n') add(line[i + 1] as string);
      i += 2;
    } else {
      add(c);
      i++;
    }
  }
  throw refuse(line, 'unterminated double quote');
}
