// bin/cac for box e2e tests: a temp HOME with the run label, JSON results and error documents, and the
// config written as TOML. Each driver's test file brings its own [boxes] and [[pools]].
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import type { SshTarget } from '../../src/domain/box.js';
import { engineEnv } from './infra.js';
import { runBin, tempHome, type CliResult } from './run-cli.js';

export interface BoxDoc {
  id: string;
  state: string;
  warm: boolean | null;
  vmRef: string | null;
  claimant: string | null;
  poolKey: string;
  error: string | null;
  sshTarget: SshTarget | null;
  steps: Array<{ name: string; ok: boolean; durationMs: number; error?: string }>;
}

export interface ErrorDoc {
  outcome: string;
  code: string;
  message: string;
  hint?: string;
}

export interface BoxCli {
  /** The temp HOME (remove it in afterAll). */
  home: string;
  env: Record<string, string>;
  /** `$XDG_STATE_HOME/cac`: the store, cac's key pair, the workers' logs. */
  stateDir: string;
  /** cac's private key (made on first use). */
  keyFile: string;
  /** The default config file. */
  configFile: string;
  cac(args: string[], opts?: { timeoutMs?: number; input?: string }): Promise<CliResult>;
  /** `cac … --json`, expecting `exit`; the parsed document. */
  json<T = Record<string, unknown>>(args: string[], exit?: number): Promise<T>;
  /** Every box record (`box list --all`). */
  boxes(config?: string): Promise<BoxDoc[]>;
}

/** A temp HOME whose VMs all carry `cac.test-run=<runId>`; `extraEnv` for the driver (plugin settings). */
export function boxCli(runId: string, extraEnv: Record<string, string> = {}): BoxCli {
  const { home, env: homeEnv } = tempHome();
  const env = { ...engineEnv(), ...homeEnv, CAC_TEST_RUN_LABEL: runId, ...extraEnv };
  const stateDir = join(homeEnv.XDG_STATE_HOME, 'cac');
  const cac = (args: string[], opts: { timeoutMs?: number; input?: string } = {}) => runBin(args, { env, ...opts });
  const json = async <T = Record<string, unknown>>(args: string[], exit = 0): Promise<T> => {
    const r = await cac([...args, '--json']);
    expect(r.exitCode, `cac ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(exit);
    return JSON.parse(r.stdout) as T;
  };
  return {
    home,
    env,
    stateDir,
    keyFile: join(stateDir, 'ssh', 'id_ed25519'),
    configFile: join(homeEnv.XDG_CONFIG_HOME, 'cac', 'config.toml'),
    cac,
    json,
    boxes: async (config) => (await json<{ boxes: BoxDoc[] }>([...(config ? ['--config', config] : []), 'box', 'list', '--all'])).boxes,
  };
}

/** Writes a config file (its folder made as needed). */
export function writeConfig(file: string, toml: string): string {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, toml);
  return file;
}

/** A TOML basic string. */
export const tomlString = (s: string): string => JSON.stringify(s);

/** A `[[pools]]` table. */
export const poolToml = (repoUrl: string, minStandby: number, maxInstances: number): string =>
  `[[pools]]\nrepo_url = ${tomlString(repoUrl)}\nbase_branch = "main"\nmin_standby = ${minStandby}\nmax_instances = ${maxInstances}\n`;

export interface DoctorRow {
  name: string;
  status: string;
  detail: string;
  hint?: string;
}

/** `cac doctor --json`: its exit status and its rows (the status is kept: doctor's promise is 0, 3 or 1). */
async function doctor(cli: BoxCli, config?: string): Promise<{ exitCode: number; outcome: string; checks: DoctorRow[] }> {
  const r = await cli.cac([...(config ? ['--config', config] : []), 'doctor', '--json']);
  const doc = JSON.parse(r.stdout) as { outcome: string; checks: DoctorRow[] };
  return { exitCode: r.exitCode, outcome: doc.outcome, checks: doc.checks };
}

/** The doctor row of the configured VM driver, with doctor's exit status. */
export async function vmDriverRow(cli: BoxCli, config?: string): Promise<{ row: DoctorRow; exitCode: number }> {
  const { exitCode, checks } = await doctor(cli, config);
  const row = checks.find((c) => c.name === 'vm driver');
  if (!row) throw new Error(`doctor printed no vm driver row:\n${JSON.stringify(checks)}`);
  return { row, exitCode };
}
