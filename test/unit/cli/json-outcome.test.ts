// Every command's `--json` document says how it went in one vocabulary (README "Exit codes and --json"):
// outcome success | warnings | error (| skipped, a reconcile that found the lock held), one document on
// stdout, and an exit status that agrees with it. The command list comes from the program itself, so a
// new command fails this test until it is given a case here.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../../src/cli/program.js';
import { runInProcess, tempHome } from '../../helpers/run-cli.js';

const OUTCOMES = ['success', 'warnings', 'error', 'skipped'];
const KEY = 'q2dLR8E0mBkWlVb9T5cXq1gHn3pJz6yAaUfWvKoCx0s=';

/** Every command path users (and the box worker) can run, e.g. `box request`. */
function commandPaths(): string[] {
  const paths: string[] = [];
  const walk = (c: CommandUnknownOpts, prefix: string[]) => {
    for (const sub of c.commands) {
      const path = [...prefix, sub.name()];
      if (sub.commands.length) walk(sub, path);
      else paths.push(path.join(' '));
    }
  };
  walk(buildProgram({ stdio: { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: {} }, signal: new AbortController().signal, argv: [], exitCode: 0 }), []);
  return paths.sort();
}

function setup() {
  const { home, env } = tempHome();
  const ws = mkdtempSync(join(tmpdir(), 'cac-ws-'));
  mkdirSync(join(env.XDG_CONFIG_HOME, 'cac'), { recursive: true });
  // no engine in the unit lane: the docker CLI is a path that does not exist, so engine commands fail fast
  writeFileSync(join(env.XDG_CONFIG_HOME, 'cac', 'config.toml'), '[engine]\ndocker_path = "/nonexistent/docker"\n');
  writeFileSync(join(home, 'plain.env'), 'API_TOKEN=x\n');
  return { home, ws, env: { ...env, CAC_MASTER_KEY: KEY, USER: 'tester' } };
}

type Case = { argv: (s: ReturnType<typeof setup>) => string[]; input?: string };

const BOX = 'box_000000000000';
const REPO = 'https://example.test/acme/app.git';

const CASES: Record<string, Case> = {
  up: { argv: (s) => ['up', s.ws] },
  start: { argv: (s) => ['start', s.ws] },
  stop: { argv: (s) => ['stop', s.ws] },
  rebuild: { argv: (s) => ['rebuild', s.ws] },
  down: { argv: (s) => ['down', s.ws] },
  exec: { argv: (s) => ['exec', s.ws, '--', 'true'] },
  list: { argv: () => ['list'] },
  'agents doctor': { argv: (s) => ['agents', 'doctor', s.ws] },
  'agents sync': { argv: (s) => ['agents', 'sync', s.ws] },
  'agents pull': { argv: (s) => ['agents', 'pull', s.ws] },
  'agents cache list': { argv: () => ['agents', 'cache', 'list'] },
  'agents cache warm': { argv: () => ['agents', 'cache', 'warm'] },
  'agents cache prune': { argv: () => ['agents', 'cache', 'prune'] },
  'box request': { argv: () => ['box', 'request', '--repo', 'ftp://example.test/a.git'] },
  'box list': { argv: () => ['box', 'list'] },
  'box show': { argv: () => ['box', 'show', BOX] },
  'box release': { argv: () => ['box', 'release', BOX] },
  'box pull': { argv: () => ['box', 'pull', BOX] },
  'box renew': { argv: () => ['box', 'renew', BOX, '--ttl', 'soon'] },
  'box _provision': { argv: () => ['box', '_provision', BOX] },
  'box exec': { argv: () => ['box', 'exec', BOX, '--', 'true'] },
  'box ssh': { argv: () => ['box', 'ssh', BOX] },
  'box image build': { argv: () => ['box', 'image', 'build'] },
  'box image status': { argv: () => ['box', 'image', 'status'] },
  'pool reconcile': { argv: () => ['pool', 'reconcile', '--dry-run'] },
  'pool status': { argv: () => ['pool', 'status'] },
  'pool prepare': { argv: () => ['pool', 'prepare', '--repo', REPO] },
  'pool pause': { argv: () => ['pool', 'pause', REPO] },
  'pool resume': { argv: () => ['pool', 'resume', REPO] },
  'env keygen': { argv: () => ['env', 'keygen'] },
  'env encrypt': { argv: () => ['env', 'encrypt'], input: 'API_TOKEN=x\n' },
  'env check': { argv: (s) => ['env', 'check', join(s.home, 'plain.env')] },
  'config path': { argv: () => ['config', 'path'] },
  'config show': { argv: () => ['config', 'show'] },
  'config init': { argv: () => ['config', 'init', '--force'] },
  'config validate': { argv: () => ['config', 'validate'] },
  doctor: { argv: () => ['doctor'] },
  completion: { argv: () => ['completion', 'bash'] },
};

/** The exit statuses each outcome may come with (README "Exit codes"). */
const EXITS: Record<string, number[]> = { success: [0], skipped: [0], warnings: [3], error: [1, 2] };

describe('--json outcome vocabulary', () => {
  it('every command has a case here', () => {
    expect(commandPaths()).toEqual(Object.keys(CASES).sort());
  });

  it.each(Object.entries(CASES))(
    '%s --json: one document, outcome success|warnings|error|skipped, matching exit status',
    async (_path, c) => {
      const s = setup();
      const r = await runInProcess(['--json', ...c.argv(s)], s.env, c.input ?? '');
      const doc = JSON.parse(r.stdout) as { outcome?: unknown };
      expect(OUTCOMES).toContain(doc.outcome);
      expect(EXITS[String(doc.outcome)]).toContain(r.exitCode);
    },
    60_000,
  );

  it('the commands that succeed without an engine say success', async () => {
    const s = setup();
    const outcomes: Record<string, unknown> = {};
    for (const path of [
      'agents doctor',
      'agents cache list',
      'agents cache prune',
      'box list',
      'pool status',
      'pool pause',
      'pool resume',
      'env keygen',
      'env encrypt',
      'config path',
      'config show',
      'config init',
      'config validate',
      'completion',
    ]) {
      const c = CASES[path] as Case;
      outcomes[path] = JSON.parse((await runInProcess(['--json', ...c.argv(s)], s.env, c.input ?? '')).stdout).outcome;
    }
    expect(Object.values(outcomes).every((o) => o === 'success')).toBe(true);
    expect(outcomes).toMatchObject({ 'config path': 'success', 'agents doctor': 'success', completion: 'success', 'env keygen': 'success' });
  }, 120_000);
});
