// Host prerequisites of one agent (pure): config material found and readable, or an allow-listed auth
// variable set; the copy within the size cap. Messages name paths and variable names, never values.
import { shownHost, type EffectiveAgent, type Env } from './effective-config.js';
import { biggest, type HostScan } from './host-material.js';

export interface Validation {
  /** Host prerequisites passed. */
  validated: boolean;
  /** The material may be copied (found, and within the size cap). */
  copy: boolean;
  warnings: string[];
}

/** The allow-listed names that are set in cac's environment (only those are forwarded). */
export function forwardedNames(agent: EffectiveAgent, env: Env): string[] {
  return agent.envForward.filter((n) => env[n] !== undefined);
}

export function validateHost(agent: EffectiveAgent, scan: HostScan, env: Env, opts: { hostHome: string; maxBytes: number }): Validation {
  const shown = (p: string) => shownHost(p, opts.hostHome);
  const warnings = [...agent.warnings, ...scan.unreadable.map((p) => `cannot read ${shown(p)}`)];
  if (scan.truncated) warnings.push(`host config has more than ${scan.files.length} files; the rest was not copied`);
  // `host_config_path = []`: the user asked for no material, so none is required
  if (agent.material.length === 0) return { validated: true, copy: false, warnings };
  if (scan.files.length === 0) {
    const authSet = forwardedNames(agent, env).some((n) => agent.authEnv.includes(n));
    if (authSet) return { validated: true, copy: false, warnings };
    if (scan.unreadable.length === 0) warnings.push(notFound(agent, scan, shown));
    return { validated: false, copy: false, warnings };
  }
  if (scan.totalBytes > opts.maxBytes) {
    const list = biggest(scan)
      .map((f) => `${shown(f.host)} (${mb(f.size)})`)
      .join(', ');
    warnings.push(`host config is ${mb(scan.totalBytes)}, over max_copy_mb = ${mb(opts.maxBytes, 0)}; nothing copied (biggest: ${list})`);
    return { validated: true, copy: false, warnings };
  }
  return { validated: true, copy: true, warnings };
}

function notFound(agent: EffectiveAgent, scan: HostScan, shown: (p: string) => string): string {
  if (agent.materialFrom !== 'config' && !scan.rootFound) return `host config ${shown(agent.hostRoot)} not found`;
  return `host config not found: ${scan.missing.map(shown).join(', ')}`;
}

function mb(bytes: number, digits = 1): string {
  return `${(bytes / 1024 / 1024).toFixed(digits)} MB`;
}
