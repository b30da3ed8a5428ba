// cac doctor: this machine's checks (Node, the container engine, the devcontainer CLI, git, ssh), the
// config file, the box store and the configured VM driver, each a row with a status and a hint.
import { isCacError } from '../../errors.js';
import type { LoadedConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { defaultConfig } from '../../config/defaults.js';
import { sharedStoreChecks } from '../../core/doctor/shared-store.js';
import { storeLocation } from '../boxes.js';
import { loadKeyRing } from '../secrets.js';
import { doctorExitCode, runDoctor, type DoctorCheck } from '../../core/doctor/checks.js';
import { devcontainerCli } from '../../adapters/engine/cli-path.js';
import type { AppContext } from '../context.js';
import { probeVmDriver } from '../driver-probe.js';
import { probeBoxImage } from '../box-image-probe.js';
import { engineEnv } from '../engine.js';
import { probeStore } from '../store-probe.js';

export type { DoctorCheck } from '../../core/doctor/checks.js';

export interface DoctorResult {
  /** success: every check passed; warnings: some warned (exit 3); error: some failed (exit 1). */
  outcome: 'success' | 'warnings' | 'error';
  checks: DoctorCheck[];
}

export async function doctor(ctx: AppContext): Promise<DoctorResult> {
  const loaded = await ctx.config().then(
    (c) => ({ ok: true as const, c }),
    (e: unknown) => ({ ok: false as const, e }),
  );
  const config = loaded.ok ? loaded.c.config : defaultConfig();
  ctx.reporter.emit({ type: 'step.start', id: 'doctor', title: 'Checking the machine' });
  // never rejects: runs alongside the other checks
  const vmDriver = probeVmDriver(config, { host: ctx.host, env: ctx.env, stateDir: ctx.stateDir, signal: ctx.signal });
  const checks = await runDoctor({
    host: ctx.host,
    nodeVersion: process.version,
    docker: { path: config.engine.docker_path, env: engineEnv(config, ctx.env) },
    devcontainer: devcontainerCli(),
    signal: ctx.signal,
    config: async () => configCheck(loaded.ok ? { ok: true, loaded: loaded.c } : { ok: false, error: loaded.e }),
    store: () => probeStore(config, ctx.stateDir),
  });
  checks.push(await vmDriver);
  checks.push(...(await probeBoxImage(config, { host: ctx.host, env: ctx.env, signal: ctx.signal })));
  checks.push(...(await sharedStoreRows(ctx, config)));
  const code = doctorExitCode(checks);
  ctx.reporter.emit({ type: 'step.ok', id: 'doctor' });
  return { outcome: code === 0 ? 'success' : code === 3 ? 'warnings' : 'error', checks };
}

/** The rows of a host sharing its store with others (none with the SQLite store). */
async function sharedStoreRows(ctx: AppContext, config: Config): Promise<DoctorCheck[]> {
  const store = storeLocation(config, ctx.stateDir).kind;
  if (store !== 'redis') return [];
  const masterKey = await loadKeyRing(ctx.env, config.secrets.master_key_file, ctx.configFile).then(
    () => true as const,
    (e: unknown) => (isCacError(e) && e.code === 'ERR_NO_MASTER_KEY' ? false : { problem: e instanceof Error ? e.message : String(e), ...(isCacError(e) && e.hint ? { hint: e.hint } : {}) }),
  );
  return sharedStoreChecks({ store, driver: config.boxes.driver, dockerSshHost: config.boxes.docker.ssh_host, masterKey });
}

function configCheck(r: { ok: true; loaded: LoadedConfig } | { ok: false; error: unknown }): DoctorCheck {
  if (!r.ok) {
    const e = r.error;
    return { name: 'config', status: 'error', detail: e instanceof Error ? e.message : String(e), ...(isCacError(e) && e.hint ? { hint: e.hint } : {}) };
  }
  const { file, exists, warnings } = r.loaded;
  if (!exists) return { name: 'config', status: 'ok', detail: `${file} (not present: all defaults)` };
  return warnings.length
    ? { name: 'config', status: 'warning', detail: `${file}: ${warnings.length} unknown key(s)`, hint: "run 'cac config validate'" }
    : { name: 'config', status: 'ok', detail: `${file} valid` };
}
