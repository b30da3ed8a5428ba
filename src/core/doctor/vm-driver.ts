// Doctor's `vm driver` row: the configured driver's probes (fleet hosts logged in to with their pinned
// keys, plugin programs present and answering `list`, the docker box image) summed up in one row.
import type { DoctorCheck } from './checks.js';

/** One thing the driver needs, checked (a fleet host, a plugin program, an image). */
export interface DriverProbe {
  subject: string;
  ok: boolean;
  detail: string;
}

export interface DriverProbeReport {
  driver: string;
  probes: DriverProbe[];
  /** The driver cannot even be set up (bad config): the row is an error with this text. */
  problem?: { detail: string; hint?: string };
  /** The hint for failed probes. */
  hint?: string;
  /** ssh-fleet: some hosts down is a warning while one still answers; otherwise any failure is an error. */
  partialIsWarning?: boolean;
}

const VM_DRIVER_ROW = 'vm driver';

export function vmDriverCheck(report: DriverProbeReport): DoctorCheck {
  const { driver, probes, problem } = report;
  if (problem) return { name: VM_DRIVER_ROW, status: 'error', detail: `${driver}: ${problem.detail}`, ...(problem.hint ? { hint: problem.hint } : {}) };
  const failed = probes.filter((p) => !p.ok);
  if (failed.length === 0) return { name: VM_DRIVER_ROW, status: 'ok', detail: `${driver}: ${probes.map((p) => `${p.subject} ${p.detail}`).join('; ')}` };
  const someOk = failed.length < probes.length;
  const status = report.partialIsWarning && someOk ? 'warning' : 'error';
  const detail = `${driver}: ${failed.length} of ${probes.length} failed: ${failed.map((p) => `${p.subject}: ${p.detail}`).join('; ')}`;
  return { name: VM_DRIVER_ROW, status, detail, ...(report.hint ? { hint: report.hint } : {}) };
}
