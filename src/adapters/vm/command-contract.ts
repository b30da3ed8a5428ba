// The JSON contract between cac and a command plugin (README "Command plugins"): what each call gets
// on stdin and must print on stdout. Pure: parsing returns the value or a one-line reason.
import type { SshTarget } from '../../domain/box.js';
import { isHostName, isLoginName } from '../../domain/hosts.js';
import type { VmSpec } from '../../ports/vm-driver.js';
import { BOX_LABEL, POOL_LABEL } from './docker.js';

export { BOX_LABEL, POOL_LABEL };

export const PLUGIN_CALLS = ['create', 'destroy', 'list', 'status'] as const;
export type PluginCall = (typeof PLUGIN_CALLS)[number];

/** cac adds this label (with cac.box and cac.pool) to every VM it asks a plugin for; list must give them back. */
const CREATED_LABEL = 'cac.created-at';

export interface CreateInput {
  boxId: string;
  pool: string;
  labels: Record<string, string>;
  idempotencyKey: string;
  sshPublicKey: string;
}

export interface CreateOutput extends SshTarget {
  vmRef: string;
}

type VmStatus = 'running' | 'stopped' | 'gone';

export interface StatusOutput {
  vmRef: string;
  state: VmStatus;
  /** Optional: a plugin may repeat the SSH endpoint, so cac can resume in another process. */
  target?: SshTarget;
}

export interface ListedVm {
  vmRef: string;
  labels: Record<string, string>;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const HOST_KEY = /^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa) [A-Za-z0-9+/]+={0,3}(\s.*)?$/;

/** What `create` gets on stdin. */
export function createInput(spec: VmSpec, idempotencyKey: string, now: number): CreateInput {
  const labels = { ...spec.labels, [BOX_LABEL]: spec.boxId, [POOL_LABEL]: spec.poolKey, [CREATED_LABEL]: String(now) };
  return { boxId: spec.boxId, pool: spec.poolKey, labels, idempotencyKey, sshPublicKey: spec.sshPublicKey };
}

function json(stdout: string): Parsed<unknown> {
  const text = stdout.trim();
  if (text === '') return { ok: false, reason: 'printed nothing on stdout (expected JSON)' };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    const head = text.length > 120 ? `${text.slice(0, 120)}…` : text;
    return { ok: false, reason: `printed something that is not JSON: ${JSON.stringify(head)}` };
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (o: Record<string, unknown>, k: string): string | undefined => (typeof o[k] === 'string' && o[k] !== '' ? (o[k] as string) : undefined);

function port(v: unknown): number | undefined {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535 ? n : undefined;
}

/** The SSH fields of an object, or the names of those missing or invalid. */
function target(o: Record<string, unknown>): Parsed<SshTarget> {
  // host and user reach ssh's command line, the store and the terminal: names only, never options or escapes
  const host = str(o, 'host');
  const p = port(o.port);
  const user = str(o, 'user');
  const key = str(o, 'hostKey');
  const bad = [
    !(host && isHostName(host)) && 'host (a host name or IP address)',
    p === undefined && 'port (1-65535)',
    !(user && isLoginName(user)) && 'user (a login name)',
    !(key && HOST_KEY.test(key.trim())) && 'hostKey (an OpenSSH public key line)',
  ];
  const missing = bad.filter((b): b is string => typeof b === 'string');
  if (missing.length || !host || p === undefined || !user || !key) return { ok: false, reason: `missing or invalid ${missing.join(', ')}` };
  // pin the type and key only: a comment is not part of the key
  return { ok: true, value: { host, port: p, user, hostKey: key.trim().split(/\s+/).slice(0, 2).join(' ') } };
}

/** `create` prints `{vmRef, host, port, user, hostKey}`. */
export function parseCreateOutput(stdout: string): Parsed<CreateOutput> {
  const doc = json(stdout);
  if (!doc.ok) return doc;
  if (!isObject(doc.value)) return { ok: false, reason: 'printed JSON that is not an object {vmRef, host, port, user, hostKey}' };
  const vmRef = str(doc.value, 'vmRef');
  const t = target(doc.value);
  if (!vmRef) return { ok: false, reason: `missing or invalid vmRef${t.ok ? '' : `; ${t.reason}`}` };
  if (!t.ok) return t;
  return { ok: true, value: { vmRef, ...t.value } };
}

/** `status` prints `{vmRef, state}` (and may add host, port, user, hostKey). */
export function parseStatusOutput(stdout: string): Parsed<StatusOutput> {
  const doc = json(stdout);
  if (!doc.ok) return doc;
  if (!isObject(doc.value)) return { ok: false, reason: 'printed JSON that is not an object {vmRef, state}' };
  const vmRef = str(doc.value, 'vmRef');
  const state = doc.value.state;
  if (!vmRef) return { ok: false, reason: 'missing or invalid vmRef' };
  if (state !== 'running' && state !== 'stopped' && state !== 'gone') {
    return { ok: false, reason: `state must be "running", "stopped" or "gone", not ${JSON.stringify(state ?? null)}` };
  }
  const t = target(doc.value);
  // the endpoint is optional in a status answer, but one given with a bad host or user is a bad answer
  const badName = (typeof doc.value.host === 'string' && !isHostName(doc.value.host)) || (typeof doc.value.user === 'string' && !isLoginName(doc.value.user));
  if (!t.ok && badName) return t;
  return { ok: true, value: { vmRef, state, ...(t.ok ? { target: t.value } : {}) } };
}

/** `list` prints `[{vmRef, labels}]`. */
export function parseListOutput(stdout: string): Parsed<ListedVm[]> {
  const doc = json(stdout);
  if (!doc.ok) return doc;
  if (!Array.isArray(doc.value)) return { ok: false, reason: 'printed JSON that is not an array [{vmRef, labels}]' };
  const vms: ListedVm[] = [];
  for (const [i, item] of doc.value.entries()) {
    const vmRef = isObject(item) ? str(item, 'vmRef') : undefined;
    const labels = isObject(item) ? item.labels : undefined;
    if (!vmRef) return { ok: false, reason: `item ${i}: missing or invalid vmRef` };
    if (!isObject(labels) || !Object.values(labels).every((v) => typeof v === 'string')) {
      return { ok: false, reason: `item ${i} (${vmRef}): labels must be an object of strings` };
    }
    vms.push({ vmRef, labels: labels as Record<string, string> });
  }
  return { ok: true, value: vms };
}

/** A VM's creation time from the label cac set at create; `fallback` (now: never an orphan yet) without one. */
export function createdAtOf(labels: Record<string, string>, fallback: number): number {
  const v = Number(labels[CREATED_LABEL]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
}
