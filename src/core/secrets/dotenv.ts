// .env text → its key names (for `cac env check` and to validate before encrypting). Values are
// skipped, never returned, and errors name only a line number and the kind of problem: a malformed
// line may well be a piece of a secret.
import { CacError } from '../../errors.js';

/** One `NAME=value` line of a .env file. */
export interface DotenvEntry {
  name: string;
  /** 1-based line where the entry starts. */
  line: number;
}

const ASSIGN = /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=[ \t]*/;
const QUOTES = new Set(['"', "'", '`']);

/** The entries of a .env text, in order (a name set twice appears twice; the later value wins). */
export function parseDotenv(text: string): DotenvEntry[] {
  const entries: DotenvEntry[] = [];
  let pos = 0;
  let line = 1;
  while (pos < text.length) {
    const eol = endOfLine(text, pos);
    const content = text.slice(pos, eol).replace(/\r$/, '');
    const trimmed = content.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      [pos, line] = [eol + 1, line + 1];
      continue;
    }
    const m = ASSIGN.exec(content);
    if (!m?.[1]) throw malformed(line, 'expected KEY=VALUE (a name of letters, digits, _ . - then =)');
    entries.push({ name: m[1], line });
    const valueStart = pos + m[0].length;
    const quote = text[valueStart];
    if (quote === undefined || !QUOTES.has(quote)) {
      [pos, line] = [eol + 1, line + 1];
      continue;
    }
    const close = closingQuote(text, valueStart + 1, quote);
    if (close < 0) throw malformed(line, 'a quoted value starts here and is never closed');
    const closeLine = line + countNewlines(text, valueStart, close);
    const restEnd = endOfLine(text, close);
    const rest = text
      .slice(close + 1, restEnd)
      .replace(/\r$/, '')
      .trim();
    if (rest !== '' && !rest.startsWith('#')) throw malformed(closeLine, 'unexpected text after the closing quote');
    [pos, line] = [restEnd + 1, closeLine + 1];
  }
  return entries;
}

function endOfLine(text: string, from: number): number {
  const i = text.indexOf('\n', from);
  return i < 0 ? text.length : i;
}

// Double quotes allow backslash escapes (\" stays inside); single quotes and backticks do not.
function closingQuote(text: string, from: number, quote: string): number {
  for (let i = from; i < text.length; i++) {
    if (quote === '"' && text[i] === '\\') i++;
    else if (text[i] === quote) return i;
  }
  return -1;
}

function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (text[i] === '\n') n++;
  return n;
}

function malformed(line: number, what: string): CacError {
  return new CacError('ERR_DOTENV', `.env line ${line}: ${what}`, {
    hint: 'fix that line of the plain .env file (values are not shown here on purpose)',
  });
}
