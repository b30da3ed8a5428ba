// Effective agent config = preset baked in code + the user's `[agents.<kind>]` overrides (+ the
// agent's own root variable, e.g. CODEX_HOME, in cac's environment). Pure: unit-tested per precedence case.
import { posix } from 'node:path';
import type { AgentKind } from '../../domain/kinds.js';
import { AGENT_KINDS } from '../../domain/kinds.js';
import { PRESETS, type MaterialRole, type PresetFile } from './presets.js';
import type { AgentSettings, AgentsSettings } from './settings.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** One host path to copy (a file, or a dir walked minus excludes). */
export interface MaterialSpec {
  /** Absolute host path. */
  host: string;
  /** Container path, `~/…` or absolute. */
  container: string;
  /** Outside the host home: a dir's contents land in the container root, a file under its name there. */
  ontoRoot?: boolean;
}

/** What the preset knows about one of its files. */
interface KnownFile {
  /** Where the preset finds it on the host. */
  host: string;
  /** An explicit container place (`~/…`), kept whatever dir it was found in. */
  container?: string;
  /** Where the agent reads it in the container (`~/…` or absolute): what a copied file is follows from this. */
  at: string;
  role: MaterialRole;
  syncBack: boolean;
  rewrite?: PresetFile['rewrite'];
}

export interface EffectiveAgent {
  kind: AgentKind;
  enabled: boolean;
  install: boolean;
  installCommand: string;
  /** An npm CLI at a pinned version (exact or "latest"): installed into its own prefix and cached. Absent
   * with a custom install_command (cac cannot know what it installs) or a non-npm preset. */
  npm?: { package: string; version: string };
  /** The agent's config dir on the host (absolute) and in the container (`~/…` or absolute). */
  hostRoot: string;
  containerRoot: string;
  material: MaterialSpec[];
  known: KnownFile[];
  /** Absolute host paths never copied. */
  exclude: string[];
  /** Container paths never copied, whichever host dir would fill them (caches of a custom host dir too). */
  excludeInContainer: string[];
  /** Names forwarded from cac's environment (allow-list). */
  envForward: string[];
  authEnv: string[];
  probe: string[];
  /** Where the copied material came from, for doctor. */
  materialFrom: 'preset' | 'config' | 'env';
  /** Config problems that do not stop the agent (reported as its warnings). */
  warnings: string[];
}

// Forwarding these would break the container's shell or redirect the docker client itself.
const RESERVED_ENV = /^(HOME|PATH|USER|LOGNAME|SHELL|PWD|OLDPWD|TERM|HOSTNAME|DOCKER_[A-Z_]*)$/;

export function effectiveAgent(kind: AgentKind, agents: AgentsSettings, env: Env, hostHome: string): EffectiveAgent {
  const preset = PRESETS[kind];
  const user: AgentSettings = agents[kind];
  const envRoot = preset.rootEnv ? env[preset.rootEnv] : undefined;
  const rootFromEnv = envRoot?.startsWith('/') === true;
  const hostRoot = rootFromEnv ? posix.normalize(envRoot) : expandHost(preset.root, hostHome, hostHome);
  const containerRoot = user.container_config_path ? containerPath(user.container_config_path) : preset.root;
  const known = preset.files.map((f) => knownFile(f, hostRoot, containerRoot, hostHome, rootFromEnv));
  const map = (host: string): MaterialSpec => {
    const container = mapToContainer(host, known, hostRoot, containerRoot, hostHome);
    return container === undefined ? { host, container: containerRoot, ontoRoot: true } : { host, container };
  };
  const listed = user.host_config_path ? user.host_config_path.map((p) => expandHost(p, hostRoot, hostHome)) : known.map((k) => k.host);
  const reserved = user.env_forward.filter((n) => RESERVED_ENV.test(n));
  const npm = preset.npm && !user.install_command ? { package: preset.npm.package, version: user.version ?? preset.npm.version } : undefined;
  return {
    kind,
    enabled: agents.enabled && user.enabled,
    install: user.install,
    installCommand: user.install_command ?? (npm ? `npm i -g ${npm.package}@${npm.version}` : preset.install),
    ...(npm ? { npm } : {}),
    hostRoot,
    containerRoot,
    material: unique(listed).map(map),
    known,
    exclude: preset.exclude.map((e) => posix.join(hostRoot, e)),
    excludeInContainer: preset.exclude.map((e) => joinContainer(containerRoot, e)),
    envForward: unique(user.env_forward.filter((n) => !RESERVED_ENV.test(n))),
    authEnv: preset.authEnv,
    probe: preset.probe,
    materialFrom: user.host_config_path ? 'config' : rootFromEnv ? 'env' : 'preset',
    warnings: [
      ...reserved.map((n) => `env_forward: ${n} is reserved and not forwarded`),
      ...(user.version && !npm ? [`version: ignored (${user.install_command ? 'install_command is set' : 'not an npm-installed agent'})`] : []),
    ],
  };
}

/** Every agent's effective config, in the canonical order codex, claude, cursor, gemini. */
export function effectiveAgents(agents: AgentsSettings, env: Env, hostHome: string): EffectiveAgent[] {
  return AGENT_KINDS.map((k) => effectiveAgent(k, agents, env, hostHome));
}

/** Host paths: `~` is the host home, relative paths are relative to the agent's config dir. */
export function expandHost(path: string, base: string, hostHome: string): string {
  if (path === '~') return hostHome;
  if (path.startsWith('~/')) return posix.join(hostHome, path.slice(2));
  return posix.normalize(path.startsWith('/') ? path : posix.join(base, path));
}

/** Container paths stay `~/…` until the container user's real home is known; relative means under it. */
export function containerPath(path: string): string {
  if (path === '~' || path.startsWith('~/') || path.startsWith('/')) return path === '~' ? '~' : trimSlash(posix.normalize(path));
  return `~/${trimSlash(posix.normalize(path))}`;
}

/** `~/…` → an absolute path under the container home. */
export function expandContainer(path: string, home: string): string {
  if (path === '~') return home;
  return path.startsWith('~/') ? posix.join(home, path.slice(2)) : path;
}

/** `/home/me/.codex` → `~/.codex`, for messages. */
export function shownHost(path: string, hostHome: string): string {
  if (path === hostHome) return '~';
  return path.startsWith(`${hostHome}/`) ? `~/${path.slice(hostHome.length + 1)}` : path;
}

export function isUnder(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

function knownFile(f: PresetFile, hostRoot: string, containerRoot: string, hostHome: string, rootFromEnv: boolean): KnownFile {
  const host = rootFromEnv && f.underRootEnv ? posix.join(hostRoot, f.underRootEnv) : expandHost(f.host, hostRoot, hostHome);
  const at = f.container ?? (f.host.startsWith('~') ? containerPath(f.host) : joinContainer(containerRoot, f.host));
  return { host, ...(f.container ? { container: f.container } : {}), at, role: f.role, syncBack: f.syncBack === true, ...(f.rewrite ? { rewrite: f.rewrite } : {}) };
}

/** What a file landing at `container` is to the agent. Decided in the container, never by the host
 * path it came from: a custom host dir must not turn a credential into readable settings. A file
 * bearing one of the agent's credential names is a credential wherever it lands (the same bytes). */
export function landing(agent: Pick<EffectiveAgent, 'known'>, container: string): Pick<KnownFile, 'role' | 'syncBack' | 'rewrite'> {
  const k = agent.known.find((f) => f.at === container);
  const name = posix.basename(container);
  const credential = agent.known.some((f) => f.role === 'credential' && (f.at === container || posix.basename(f.at) === name));
  return { role: credential ? 'credential' : 'settings', syncBack: k?.syncBack ?? false, ...(k?.rewrite ? { rewrite: k.rewrite } : {}) };
}

// A file the preset places explicitly keeps its place; under the config dir → under the container
// root; elsewhere in the home → the same place in the container home; outside the home: undefined.
function mapToContainer(host: string, known: KnownFile[], hostRoot: string, containerRoot: string, hostHome: string): string | undefined {
  const k = known.find((f) => f.host === host && f.container);
  if (k?.container) return k.container;
  if (isUnder(host, hostRoot)) return joinContainer(containerRoot, posix.relative(hostRoot, host));
  if (isUnder(host, hostHome)) return joinContainer('~', posix.relative(hostHome, host));
  return undefined;
}

export function joinContainer(base: string, rel: string): string {
  if (rel === '' || rel === '.') return base;
  return base === '~' ? `~/${rel}` : posix.join(base, rel);
}

function trimSlash(p: string): string {
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}
