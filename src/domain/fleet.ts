// The configured machines of the ssh-fleet driver (`[[boxes.fleet]]`): their ids and SSH targets, and the
// rule that a machine is listed once. Pure: config validation and the driver share it.
import type { SshTarget } from './box.js';
import { CacError } from '../errors.js';

/** One `[[boxes.fleet]]` table, as config gives it. */
export interface FleetHostEntry {
  host: string;
  port: number;
  user: string;
  host_key: string;
  identity_file?: string | undefined;
  labels: string[];
}

export interface FleetHostSpec {
  /** `user@host:port`: the lease key in the store. */
  id: string;
  target: SshTarget;
  identityFile: string | undefined;
  labels: string[];
}

export function fleetHostId(h: { user: string; host: string; port: number }): string {
  return `${h.user}@${h.host.includes(':') ? `[${h.host}]` : h.host}:${h.port}`;
}

/** The configured hosts in config order; a host listed twice is a config error. */
export function fleetHosts(entries: readonly FleetHostEntry[]): FleetHostSpec[] {
  const seen = new Set<string>();
  return entries.map((e, i) => {
    const id = fleetHostId(e);
    if (seen.has(id)) throw new CacError('ERR_CONFIG_SCHEMA', `boxes.fleet.${i}: ${id} is listed twice`, { hint: 'list each machine once' });
    seen.add(id);
    const hostKey = e.host_key.trim().split(/\s+/).slice(0, 2).join(' ');
    return { id, target: { host: e.host, port: e.port, user: e.user, hostKey }, identityFile: e.identity_file, labels: e.labels };
  });
}
