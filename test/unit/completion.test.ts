import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PassThrough, Readable } from 'node:stream';
import { buildProgram } from '../../src/cli/program.js';
import { completionScript, COMPLETION_FILES, type Shell } from '../../src/cli/completion/index.js';
import { REPO_ROOT, runInProcess } from '../helpers/run-cli.js';

const program = () => buildProgram({ stdio: { stdin: Readable.from([]), stdout: new PassThrough(), stderr: new PassThrough(), env: {} }, signal: new AbortController().signal, argv: [], exitCode: 0 });

// Simulates bash programmable completion for the given words and returns COMPREPLY.
function bashComplete(words: string[]): string[] {
  const script = `${completionScript(program(), 'bash')}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _cac; printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync('bash', ['-c', script], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

describe('completions', () => {
  it.each(['bash', 'zsh', 'fish'] as Shell[])('committed %s script matches the program (run `just completions` after changing commands)', (shell) => {
    const committed = readFileSync(join(REPO_ROOT, COMPLETION_FILES[shell]), 'utf8');
    expect(committed).toBe(completionScript(program(), shell));
  });

  it('cac completion <shell> prints the script', async () => {
    const r = await runInProcess(['completion', 'zsh']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.startsWith('#compdef cac')).toBe(true);
    const bad = await runInProcess(['completion', 'tcsh']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain("'tcsh' is invalid");
  });

  it('the bash script is valid bash and completes commands, subcommands and options', () => {
    execFileSync('bash', ['-n', '-c', completionScript(program(), 'bash')]);
    expect(bashComplete(['cac', 'bo'])).toEqual(['box']);
    expect(bashComplete(['cac', 'box', 're'])).toEqual(['request', 'release', 'renew']);
    expect(bashComplete(['cac', 'box', 'request', '--re'])).toEqual(['--repo']);
    expect(bashComplete(['cac', '--json', 'config', ''])).toEqual(expect.arrayContaining(['path', 'show', 'init', 'validate']));
    expect(bashComplete(['cac', 'completion', ''])).toEqual(expect.arrayContaining(['bash', 'zsh', 'fish']));
    expect(bashComplete(['cac', 'agents', 'sync', '--agent', 'c'])).toEqual(['codex', 'claude', 'cursor']);
  });
});
