// Installing an npm agent CLI through the agent cache. Each pinned version lives in its own prefix in the
// container home (~/.local/lib/cac-agents/<kind>-<version>, beside npm's own ~/.local fallback), its binary linked into ~/.local/bin. A cached prefix
// (same kind, version and platform) arrives in ONE exec with the tar on stdin and no registry round trip;
// otherwise npm installs into the prefix, which is tarred out into the cache when the cache can save
// (only the throwaway container of `agents cache warm`: a dev container is untrusted). Either way a version probe checks the binary before it counts as installed; a broken entry
// is dropped with a warning and the registry install runs instead.
import { isAbortError } from '../../errors.js';
import type { AgentKind } from '../../domain/kinds.js';
import type { AgentCache, AgentCacheKey } from '../../ports/agent-cache.js';
import type { Host } from '../../ports/host.js';
import type { Reporter } from '../../ports/reporter.js';
import { quote } from '../../util/shell.js';
import { redact } from '../../util/redact.js';
import type { Discovery } from './discover.js';
import type { EffectiveAgent } from './effective-config.js';
import { homeGuardLines } from './home-guard.js';
import { finishLines } from './finish-script.js';
import { volumeTarget } from '../../domain/agent-volume.js';

export const CACHE_MARK = '# cac agents: cached install';
const INSTALL_TIMEOUT_MS = 15 * 60_000;
const RESTORE_TIMEOUT_MS = 5 * 60_000;

export type NpmAgent = EffectiveAgent & { npm: NonNullable<EffectiveAgent['npm']> };

export interface CachedInstallOutcome {
  installed: boolean;
  /** Where the CLI came from when installed: the agent volume mounted in the container, the tar cache, the registry. */
  from?: 'volume' | 'cache' | 'registry';
  warning?: string;
  /** A link that also finished (CacheDeps.finish): the finish lines' output. */
  finished?: string;
}

export interface CacheDeps {
  cache: AgentCache;
  reporter: Reporter;
  /** The container may have agent volumes mounted (it was created by a local `cac up`): try linking one first. */
  volumes?: boolean;
  /** Finishing (the env file's ~/.local/bin PATH line) run by a link in the same exec, with the values it writes: one round trip less. */
  finish?: { names: readonly string[]; env: Record<string, string> };
}

/** The container's prefix of one agent version, relative to its home. */
const prefixOf = (kind: AgentKind, version: string): string => `.local/lib/cac-agents/${kind}-${version}`;

/** Installs `agent` from the cache, else from the registry into its prefix (then caches it). */
export async function cachedInstall(
  deps: CacheDeps,
  host: Host,
  target: { containerId: string; remoteUser: string },
  agent: NpmAgent,
  d: Discovery & { platform: string },
  env: Record<string, string>,
  signal?: AbortSignal,
): Promise<CachedInstallOutcome> {
  const sig = signal ? { signal } : {};
  const version = await deps.cache.resolve(agent.npm.package, agent.npm.version, sig);
  const key: AgentCacheKey = { kind: agent.kind, version, platform: d.platform };
  const shown = `${agent.kind} ${version} (${d.platform})`;
  let warning: string | undefined;
  if (deps.volumes) {
    const finish = deps.finish ? finishLines({ env: 'write', names: deps.finish.names, claudeOnboarding: false }) : [];
    const script = [cacheScript(agent, version, d.home, 'link', d.platform), ...finish].join('\n');
    const linked = await host.exec(['sh', '-c', script], { env: deps.finish?.env ?? {}, timeoutMs: 60_000, ...sig });
    const outcome = linkOutcome(linked, version, { ...env, ...deps.finish?.env });
    if (outcome === 'linked') return { installed: true, from: 'volume', ...(deps.finish ? { finished: linked.stdout } : {}) };
    if (outcome !== 'absent') warning = `the agent volume of ${shown} failed its check (${outcome}); not used`;
  }
  const stream = await deps.cache.open(key);
  if (stream) {
    const r = await host.exec(['sh', '-c', cacheScript(agent, version, d.home, 'restore')], { stdin: stream, timeoutMs: RESTORE_TIMEOUT_MS, ...sig });
    const problem = checkProblem(r, version, env);
    if (!problem) return { installed: true, from: 'cache', ...(warning ? { warning } : {}) };
    warning = `${warning ? `${warning}; ` : ''}the cached ${shown} failed its check (${problem}); installed from the registry instead`;
    await deps.cache.drop(key).catch(() => undefined);
  } else {
    deps.reporter.emit({
      type: 'info',
      message: `${shown} is not cached${deps.cache.save ? ' yet' : ''}: installing from the registry${deps.cache.save ? '' : " (cache it with 'cac agents cache warm')"}`,
    });
  }
  const r = await host.exec(['sh', '-c', cacheScript(agent, version, d.home, 'install')], { env, timeoutMs: INSTALL_TIMEOUT_MS, ...sig });
  const problem = checkProblem(r, version, env);
  if (problem) return { installed: false, warning: `${warning ? `${warning}; ` : ''}install failed (${problem})` };
  if (deps.cache.save) {
    try {
      await deps.cache.save(key, target, `${d.home}/${prefixOf(agent.kind, version)}`, signal);
    } catch (e) {
      if (isAbortError(e)) throw e;
      deps.reporter.emit({ type: 'warning', message: `${agent.kind}: not cached: ${e instanceof Error ? e.message : String(e)}` });
    }
  }
  return { installed: true, from: 'registry', ...(warning ? { warning } : {}) };
}

/** A link script's result: linked and answering, no volume mounted (a fallback, not a problem), or the problem. */
function linkOutcome(r: { exitCode: number; stdout: string; stderr: string }, version: string, env: Record<string, string>): 'linked' | 'absent' | string {
  if (/^volume\tabsent$/m.test(r.stdout)) return 'absent';
  return checkProblem(r, version, env) ?? 'linked';
}

/** The exit status and the version probe's line: undefined when the binary answered with `version`. */
function checkProblem(r: { exitCode: number; stdout: string; stderr: string }, version: string, env: Record<string, string>): string | undefined {
  const line = r.stdout.split('\n').find((l) => l.startsWith('verify\t'));
  if (r.exitCode === 0 && line?.split('\t')[1] === '0' && (line.split('\t')[2] ?? '').includes(version)) return undefined;
  const tail = redact(`${r.stdout}${r.stderr}`, Object.values(env))
    .trimEnd()
    .split('\n')
    .filter((l) => !l.startsWith('verify\t'))
    .slice(-5)
    .join('\n');
  const probe = line ? `; \`--version\` printed ${JSON.stringify(line.split('\t')[2] ?? '')}` : '';
  return `${r.exitCode === 124 ? 'timed out' : `exit ${r.exitCode}`}${probe}${tail ? `:\n${tail}` : ''}`;
}

/**
 * The in-container script, as the remote user: `restore` unpacks the tar on stdin into the prefix,
 * `install` runs npm into it (the registry); both then link the binary and probe its version. `link`
 * links the binary of the read-only agent volume of `platform` (reporting `volume\tabsent` when the
 * container has none mounted) and probes it: no copy, no registry.
 */
export function cacheScript(agent: NpmAgent, version: string, home: string, mode: 'restore' | 'install' | 'link', platform = ''): string {
  const bin = agent.probe[0] ?? agent.kind;
  if (mode === 'link') return linkScript(agent.kind, bin, home, volumeTarget({ kind: agent.kind, version, platform }));
  const fill =
    mode === 'restore'
      ? ['mkdir "$t" && tar -x -f - -C "$t" || { rm -rf "$t"; exit 1; }']
      : [`( cd "$h" || cd /; exec npm install -g --prefix "$t" --no-fund --no-audit --loglevel=error ${quote(`${agent.npm.package}@${version}`)} ) </dev/null || { s=$?; rm -rf "$t"; exit "$s"; }`];
  return [
    `${CACHE_MARK} ${agent.kind} ${mode}`,
    'exec 2>&1',
    `h=${quote(home)}`,
    ...homeGuardLines(),
    `n=${quote(bin)}`,
    `p="$h"/${quote(prefixOf(agent.kind, version))}`,
    't="$p.tmp.$$"',
    'for cac_d in "$h/.local" "$h/.local/lib" "$h/.local/lib/cac-agents" "$p" "$t" "$h/.local/bin" "$h/.local/bin/$n"; do',
    `  cac_inside "$cac_d" || { echo ${quote('cac: not installing: a symbolic link in the home leads outside it')}; exit 126; }`,
    'done',
    'mkdir -p "$h/.local/lib/cac-agents" "$h/.local/bin" && rm -rf "$t" || exit 1',
    ...fill,
    'rm -rf "$p" && mv "$t" "$p" || exit 1',
    `[ -x "$p/bin/$n" ] || { echo "cac: the package has no bin/$n"; exit 127; }`,
    'ln -sfn "$p/bin/$n" "$h/.local/bin/$n" || exit 1',
    ...probeLines(),
  ].join('\n');
}

function linkScript(kind: AgentKind, bin: string, home: string, volume: string): string {
  return [
    `${CACHE_MARK} ${kind} link`,
    'exec 2>&1',
    `h=${quote(home)}`,
    ...homeGuardLines(),
    `n=${quote(bin)}`,
    `p=${quote(volume)}`,
    `[ -x "$p/bin/$n" ] || { printf 'volume\\tabsent\\n'; exit 0; }`,
    'for cac_d in "$h/.local" "$h/.local/bin" "$h/.local/bin/$n"; do',
    `  cac_inside "$cac_d" || { echo ${quote('cac: not linking: a symbolic link in the home leads outside it')}; exit 126; }`,
    'done',
    'mkdir -p "$h/.local/bin" && ln -sfn "$p/bin/$n" "$h/.local/bin/$n" || exit 1',
    ...probeLines(),
  ].join('\n');
}

function probeLines(): string[] {
  return [
    'if command -v timeout >/dev/null 2>&1; then cac_t() { timeout 30 "$@"; }; else cac_t() { "$@"; }; fi',
    'v=$(cac_t "$h/.local/bin/$n" --version </dev/null 2>&1); s=$?',
    `printf 'verify\\t%s\\t%s\\n' "$s" "$(printf '%s\\n' "$v" | head -n 1)"`,
  ];
}
