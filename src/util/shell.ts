// The ONLY way a string reaches a POSIX shell in cac. Every value is single-quoted, so nothing in it
// (quotes, $(), backticks, newlines, globs) is ever interpreted. Tested in test/unit/shell.test.ts
// by running the produced strings through a real `sh`.
import { CacError } from '../errors.js';

// no '=': a bare NAME=value word before the command is an assignment, not an argument
const SAFE = /^[A-Za-z0-9_@%+:,./-]+$/;

/** Quote one value for POSIX sh. NUL bytes cannot be passed to a process and are refused. */
export function quote(value: string): string {
  if (value.includes('\0')) {
    throw new CacError('ERR_INVALID_INPUT', 'a shell argument contains a NUL byte', {
      hint: 'remove the NUL character from the value',
    });
  }
  if (value !== '' && SAFE.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Quote an argv into one command line. */
export function quoteArgv(argv: readonly string[]): string {
  return argv.map(quote).join(' ');
}

/** Tagged template: `sh\`cd ${dir} && git checkout ${branch}\`` quotes every interpolated value. */
export function sh(strings: TemplateStringsArray, ...values: ReadonlyArray<string | number | readonly string[]>): string {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    const text = typeof v === 'number' ? String(v) : Array.isArray(v) ? quoteArgv(v as readonly string[]) : quote(v as string);
    out += text + (strings[i + 1] ?? '');
  });
  return out;
}
