// Runs the CLI in-process with PassThrough streams (unit lane), or the built bin/cac as a user would (e2e).
import { PassThrough, Readable } from 'node:stream';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { run } from '../../src/cli/run.js';

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(REPO_ROOT, 'bin/cac');

/** A fresh HOME with XDG config/state dirs under a temp folder. */
export function tempHome(): { home: string; env: { HOME: string; XDG_CONFIG_HOME: string; XDG_STATE_HOME: string } } {
  const home = mkdtempSync(join(tmpdir(), 'cac-home-'));
  const env = {
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_STATE_HOME: join(home, '.local/state'),
  };
  mkdirSync(env.XDG_CONFIG_HOME, { recursive: true });
  return { home, env };
}

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(Buffer.from(c)));
  return () => Buffer.concat(chunks).toString('utf8');
}

export async function runInProcess(argv: string[], env: Record<string, string | undefined> = {}, input = ''): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out = collect(stdout);
  const err = collect(stderr);
  const baseEnv = { PATH: process.env.PATH, NO_COLOR: '1', ...env };
  const exitCode = await run(argv, { stdin: Readable.from([input]), stdout, stderr, env: baseEnv }, new AbortController().signal);
  return { exitCode, stdout: out(), stderr: err() };
}

export async function runBin(argv: string[], opts: { env?: Record<string, string | undefined>; cwd?: string; input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const r = await execa(process.execPath, [BIN, ...argv], {
    env: { NO_COLOR: '1', ...opts.env },
    cwd: opts.cwd ?? REPO_ROOT,
    reject: false,
    stripFinalNewline: false,
    ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' as const }),
    timeout: opts.timeoutMs ?? 300_000,
  });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}
