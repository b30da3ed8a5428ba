// Input reaches the terminal only escaped: a claimant, a URL or a plugin's stderr with an escape sequence
// or an RTL override prints as visible \x1b / \u202e, in human output (TTY or not), plain output and errors.
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/app/boxes.js';
import { configSchema } from '../../src/config/schema.js';
import { writeResult } from '../../src/output/index.js';
import { escapeControls } from '../../src/output/escape.js';
import { createHumanReporter } from '../../src/output/human.js';
import { createJsonReporter, createQuietReporter } from '../../src/output/plain.js';
import type { Stdio } from '../../src/output/streams.js';
import type { Reporter } from '../../src/ports/reporter.js';
import { runInProcess, tempHome } from '../helpers/run-cli.js';

// an escape sequence that clears the screen and recolors, an OSC title change, a C1 CSI, an RTL override
const HOSTILE = 'a\x1b[2J\x1b[31mred\x1b]0;owned\x07\x9b1m\u202etxt.exe\rX';
const ESCAPED = 'a\\x1b[2J\\x1b[31mred\\x1b]0;owned\\x07\\x9b1m\\u202etxt.exe\\x0dX';
// what must never reach a terminal raw
const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

function streams(): { stdio: Stdio; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (c: Buffer) => (o += c.toString()));
  stderr.on('data', (c: Buffer) => (e += c.toString()));
  return { stdio: { stdin: new PassThrough(), stdout, stderr, env: {} }, out: () => o, err: () => e };
}

function emitAll(r: Reporter): void {
  r.emit({ type: 'step.start', id: 's1', title: `step ${HOSTILE}` });
  r.emit({ type: 'step.ok', id: 's1', detail: HOSTILE });
  r.emit({ type: 'step.start', id: 's2', title: 'second' });
  r.emit({ type: 'step.fail', id: 's2', detail: HOSTILE });
  r.emit({ type: 'info', message: `info ${HOSTILE}` });
  r.emit({ type: 'warning', message: `warn ${HOSTILE}`, hint: `hint ${HOSTILE}` });
  r.emit({ type: 'log', source: 'engine', line: `log ${HOSTILE}` });
  r.close();
}

describe('escapeControls', () => {
  it('writes control, C1 and bidi characters as visible escapes; keeps newlines, tabs and ordinary Unicode', () => {
    expect(escapeControls(HOSTILE)).toBe(ESCAPED);
    expect(escapeControls('line 1\n\tline 2 ünïcödé ✓ 日本')).toBe('line 1\n\tline 2 ünïcödé ✓ 日本');
    expect(escapeControls('\u200b\u200f\u2066\ufeff\x00\x7f')).toBe('\\u200b\\u200f\\u2066\\ufeff\\x00\\x7f');
  });
});

describe('reporters and results escape what they print', () => {
  it('human reporter (no color, no spinner)', () => {
    const s = streams();
    emitAll(createHumanReporter(s.stdio, { level: 0, verbose: true, ora: undefined }));
    expect(s.err()).not.toMatch(RAW);
    expect(s.err()).toContain(`[ok] step ${ESCAPED}: ${ESCAPED}`);
    expect(s.err()).toContain(`warning: warn ${ESCAPED}\nhint: hint ${ESCAPED}`);
    expect(s.err()).toContain(`[engine] log ${ESCAPED}`);
  });

  it('human reporter with colors: only its own color codes are raw', () => {
    const s = streams();
    emitAll(createHumanReporter(s.stdio, { level: 1, verbose: true, ora: undefined }));
    // chalk's SGR codes are the only escape sequences left
    expect(s.err().replace(/\x1b\[\d+m/g, '')).not.toMatch(RAW);
    expect(s.err()).toContain(ESCAPED);
  });

  it('plain (--json progress on stderr) and --quiet', () => {
    const json = streams();
    emitAll(createJsonReporter(json.stdio, true));
    expect(json.err()).not.toMatch(RAW);
    expect(json.err()).toContain(`info ${ESCAPED}`);
    const quiet = streams();
    emitAll(createQuietReporter(quiet.stdio));
    expect(quiet.err()).toBe(`warning: warn ${ESCAPED}\n`);
  });

  it('a human result; the --json document stays exact JSON', () => {
    const human = streams();
    writeResult(human.stdio, { json: false, quiet: false, verbose: false, color: false }, {}, `claimant ${HOSTILE}`);
    expect(human.out()).toBe(`claimant ${ESCAPED}\n`);
    const json = streams();
    writeResult(json.stdio, { json: true, quiet: false, verbose: false, color: false }, { claimant: HOSTILE });
    expect(JSON.parse(json.out())).toEqual({ claimant: HOSTILE });
  });
});

describe('input that would print control characters', () => {
  it('--for with an escape sequence exits 2 naming --for; the error itself prints nothing raw', async () => {
    const { env } = tempHome();
    const r = await runInProcess(['box', 'request', '--repo', 'https://example.test/a.git', '--for', '\x1b[31mboss\u202e'], env);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('error: --for: "\\u001b[31mboss\\u202e" is not a claimant name');
    expect(r.stderr).not.toMatch(RAW);
  });

  it('an RTL override in a repo URL is refused and printed escaped', async () => {
    const { env } = tempHome();
    const r = await runInProcess(['box', 'request', '--repo', 'https://example.test/a\u202egit.exe'], env);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('error: --repo: "https://example.test/a\\u202egit.exe" contains invisible or text-direction characters');
    expect(r.stderr).not.toMatch(RAW);
  });

  it('cac box list escapes a claimant stored by an older cac or a library caller', async () => {
    const { env } = tempHome();
    const store = await openStore(configSchema.parse({}), join(env.XDG_STATE_HOME, 'cac'));
    await store.createBox(
      { repoUrl: 'https://example.test/a.git', baseBranch: 'main', claimant: HOSTILE, leaseExpiresAt: Date.now() + 60_000, deadlineAt: Date.now() + 60_000, now: Date.now() },
      { idempotencyKey: 'k1' },
    );
    await store.close();
    const r = await runInProcess(['box', 'list'], env);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(RAW);
    expect(r.stdout).toContain('a\\x1b[2J');
  });
});
