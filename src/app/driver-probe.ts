// Doctor's probes of the configured VM driver: docker (the box image is there), ssh-fleet (each host
// logs us in with its pinned key), command (each plugin program exists and `list` answers).
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { Config } from '../config/schema.js';
import { vmDriverCheck, type DriverProbe, type DriverProbeReport } from '../core/doctor/vm-driver.js';
import type { DoctorCheck } from '../core/doctor/checks.js';
import { isCacError } from '../errors.js';
import type { Host } from '../ports/host.js';
import { cacPrivateKey, commandOptions, fleetHostSpecs } from './drivers.js';
import { engineEnv } from './engine.js';

export interface ProbeDeps {
  host: Host;
  env: Record<string, string | undefined>;
  stateDir: string;
  signal?: AbortSignal;
}

export async function probeVmDriver(config: Config, deps: ProbeDeps): Promise<DoctorCheck> {
  const driver = config.boxes.driver;
  try {
    if (driver === 'ssh-fleet') return vmDriverCheck(await probeFleet(config, deps));
    if (driver === 'command') return vmDriverCheck(await probeCommand(config, deps));
    return vmDriverCheck(await probeDocker(config, deps));
  } catch (e) {
    // a config problem (no hosts, a missing call) or a failure of the probe itself
    const detail = e instanceof Error ? (e.message.split('\n')[0] ?? '') : String(e);
    return vmDriverCheck({ driver, probes: [], problem: { detail, ...(isCacError(e) && e.hint ? { hint: e.hint } : {}) } });
  }
}

async function probeDocker(config: Config, deps: ProbeDeps): Promise<DriverProbeReport> {
  const image = config.boxes.docker.image;
  const r = await deps.host.exec([config.engine.docker_path, 'image', 'inspect', '--format', '{{.Id}}', image], {
    env: engineEnv(config, deps.env),
    timeoutMs: 15_000,
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
  const last = r.stderr.trim().split('\n').pop() ?? '';
  return {
    driver: 'docker',
    probes: [{ subject: `image ${image}`, ok: r.exitCode === 0, detail: r.exitCode === 0 ? 'present' : last || `exit ${r.exitCode}` }],
    hint: "build the box image: 'cac box image build' (see the box image row), or set [boxes.docker] image",
  };
}

async function probeFleet(config: Config, deps: ProbeDeps): Promise<DriverProbeReport> {
  const { checkFleetHosts } = await import('../adapters/vm/ssh-fleet.js');
  const checks = await checkFleetHosts({ hosts: await fleetHostSpecs(config), privateKey: cacPrivateKey(deps.stateDir) }, deps.signal);
  return {
    driver: 'ssh-fleet',
    probes: checks.map((c) => ({ subject: c.hostId, ok: c.ok, detail: c.ok ? `reachable with its pinned key, ${c.detail}` : c.detail })),
    hint: "check the host is up, its host_key is the machine's, and cac's key (or identity_file) is authorized",
    partialIsWarning: true,
  };
}

async function probeCommand(config: Config, deps: ProbeDeps): Promise<DriverProbeReport> {
  const { CommandVmDriver } = await import('../adapters/vm/command.js');
  const driver = new CommandVmDriver(commandOptions(config, deps.env));
  const programs = Object.entries(driver.programs());
  const probes: DriverProbe[] = await Promise.all(
    programs.map(async ([call, program]) => {
      const found = await findProgram(program, deps.env);
      return { subject: call, ok: found !== undefined, detail: found ?? `${program} not found or not executable` };
    }),
  );
  if (probes.every((p) => p.ok)) {
    const listed = await driver.list(deps.signal ? { signal: deps.signal } : {}).then(
      (vms) => ({ subject: 'list', ok: true, detail: `answers (${vms.length} VM${vms.length === 1 ? '' : 's'})` }),
      (e: unknown) => ({ subject: 'list', ok: false, detail: e instanceof Error ? (e.message.split('\n')[0] ?? '') : String(e) }),
    );
    probes.push(listed);
  }
  return { driver: 'command', probes, hint: 'fix [boxes.command]: each program must exist, be executable and speak the JSON contract' };
}

/** The program's path when it exists and is executable (bare names are looked up on PATH). */
async function findProgram(program: string, env: Record<string, string | undefined>): Promise<string | undefined> {
  const paths = program.includes('/')
    ? [program]
    : (env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, program));
  for (const path of paths) {
    if (
      await access(path, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return path;
  }
  return undefined;
}
