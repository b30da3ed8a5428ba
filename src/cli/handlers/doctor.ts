// cac doctor: a table of checks; exit 0 ok, 3 warnings, 1 errors.
import Table from 'cli-table3';
import { runDoctor, doctorExitCode, type DoctorCheck } from '../../core/doctor/checks.js';
import { devcontainerCli } from '../../adapters/engine/cli-path.js';
import { probeStore } from '../../app/store-probe.js';
import { probeVmDriver } from '../../app/driver-probe.js';
import { defaultConfig } from '../../config/schema.js';
import { isCacError } from '../../errors.js';
import type { Handler } from '../action.js';

export const doctor: Handler = async (ctx) => {
  const loaded = await ctx.config().then(
    (c) => ({ ok: true as const, c }),
    (e: unknown) => ({ ok: false as const, e }),
  );
  const config = loaded.ok ? loaded.c.config : defaultConfig();
  const engineHost = config.engine.host ?? ctx.env.DOCKER_HOST;
  ctx.reporter.emit({ type: 'step.start', id: 'doctor', title: 'Checking the machine' });
  // never rejects: runs alongside the other checks
  const vmDriver = probeVmDriver(config, { host: ctx.host, env: ctx.env, stateDir: ctx.stateDir, signal: ctx.signal });
  const checks = await runDoctor({
    host: ctx.host,
    nodeVersion: process.version,
    docker: { path: config.engine.docker_path, env: engineHost ? { DOCKER_HOST: engineHost } : {} },
    devcontainer: devcontainerCli(),
    signal: ctx.signal,
    config: async (): Promise<DoctorCheck> => {
      if (!loaded.ok) {
        const e = loaded.e;
        return { name: 'config', status: 'error', detail: e instanceof Error ? e.message : String(e), ...(isCacError(e) && e.hint ? { hint: e.hint } : {}) };
      }
      const { file, exists, warnings } = loaded.c;
      if (!exists) return { name: 'config', status: 'ok', detail: `${file} (not present: all defaults)` };
      return warnings.length
        ? { name: 'config', status: 'warning', detail: `${file}: ${warnings.length} unknown key(s)`, hint: "run 'cac config validate'" }
        : { name: 'config', status: 'ok', detail: `${file} valid` };
    },
    store: () => probeStore(config, ctx.stateDir),
  });
  checks.push(await vmDriver);
  const code = doctorExitCode(checks);
  ctx.reporter.emit({ type: 'step.ok', id: 'doctor' });
  const outcome = code === 0 ? 'ok' : code === 3 ? 'warnings' : 'error';
  ctx.result({ outcome, checks }, renderTable(checks));
  return code;
};

function renderTable(checks: DoctorCheck[]): string {
  const table = new Table({ head: ['check', 'status', 'detail', 'hint'], style: { head: [], border: [] }, wordWrap: true });
  for (const c of checks) table.push([c.name, c.status, c.detail, c.hint ?? '']);
  return table.toString();
}
