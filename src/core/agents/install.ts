// Installing a missing agent CLI as the remote user, with the forwarded env. A global npm install
// that fails for permissions is retried into ~/.local (pitfall 5); no Node is a hint, not an attempt.
import { quote } from '../../util/shell.js';
import { redact } from '../../util/redact.js';
import type { Host } from '../../ports/host.js';
import type { EffectiveAgent } from './effective-config.js';
import type { Discovery } from './discover.js';
import { homeGuardLines } from './home-guard.js';

export const INSTALL_MARK = '# cac agents: install';
const TIMEOUT_MS = 15 * 60_000;
// one plain `npm i -g …` command (no shell operators): safe to append --prefix to
const NPM_INSTALL = /^\s*npm\s+(i|install|add)\s/;
const GLOBAL_FLAG = /\s(-g|--global)(\s|$)/;
const SHELL_OPS = /[;&|<>`$()\n]/;
const PERMISSION = /EACCES|EPERM|permission denied/i;

export interface InstallOutcome {
  installed: boolean;
  /** Installed under ~/.local (its bin must be on PATH for login shells). */
  localPrefix: boolean;
  warning?: string;
}

export function isNpmGlobal(command: string): boolean {
  return NPM_INSTALL.test(command) && GLOBAL_FLAG.test(command) && !SHELL_OPS.test(command);
}

/** Decide before running: a command that needs npm in a container without it only gets a hint. */
export function installBlocker(command: string, d: Discovery): string | undefined {
  if (/(^|[\s;&|(])(npm|npx)\s/.test(command) && !d.tools.npm) {
    return 'cannot install: the container has no Node.js/npm (add Node to the image, e.g. a node devcontainer feature, or set install_command)';
  }
  return undefined;
}

// The ~/.local fallback is cac's choice of place: npm must not write through a link leaving the home.
const LOCAL_GUARD = [
  `for cac_d in "$h/.local" "$h/.local/bin" "$h/.local/lib" "$h/.local/share"; do`,
  `  cac_inside "$cac_d" || { echo ${quote('cac: not installing into ~/.local: a symbolic link there leads outside the home')}; exit 126; }`,
  'done',
];

function installScript(kind: string, command: string, home: string, probe: readonly string[], intoLocal = false): string {
  return [
    `${INSTALL_MARK} ${kind}`,
    'exec 2>&1 </dev/null',
    ...(intoLocal ? [`h=${quote(home)}`, ...homeGuardLines(), ...LOCAL_GUARD] : []),
    `cd ${quote(home)} || cd /`,
    '(',
    command,
    ')',
    's=$?',
    '[ "$s" -eq 0 ] || exit "$s"',
    `PATH=${quote(`${home}/.local/bin`)}:$PATH`,
    `for n in ${probe.map(quote).join(' ')}; do command -v "$n" >/dev/null 2>&1 && exit 0; done`,
    `echo ${quote(`cac: the install finished but ${probe.join(' / ')} is not on PATH`)}`,
    'exit 127',
  ].join('\n');
}

export async function install(host: Host, agent: EffectiveAgent, d: Discovery, env: Record<string, string>, signal?: AbortSignal): Promise<InstallOutcome> {
  const blocked = installBlocker(agent.installCommand, d);
  if (blocked) return { installed: false, localPrefix: false, warning: blocked };
  const run = (cmd: string, intoLocal = false) =>
    host.exec(['sh', '-c', installScript(agent.kind, cmd, d.home, agent.probe, intoLocal)], { env, timeoutMs: TIMEOUT_MS, ...(signal ? { signal } : {}) });
  const first = await run(agent.installCommand);
  if (first.exitCode === 0) return { installed: true, localPrefix: false };
  const output = `${first.stdout}${first.stderr}`;
  if (isNpmGlobal(agent.installCommand) && PERMISSION.test(output)) {
    const retry = await run(`${agent.installCommand} --prefix ${quote(`${d.home}/.local`)}`, true);
    if (retry.exitCode === 0) return { installed: true, localPrefix: true };
    return { installed: false, localPrefix: false, warning: failed(retry.exitCode, `${retry.stdout}${retry.stderr}`, env, ' (also with --prefix ~/.local)') };
  }
  return { installed: false, localPrefix: false, warning: failed(first.exitCode, output, env, '') };
}

/** The warning: exit status and the last 10 lines, with forwarded secret values redacted. */
function failed(exitCode: number, output: string, env: Record<string, string>, note: string): string {
  const tail = redact(output, Object.values(env)).trimEnd().split('\n').slice(-10).join('\n');
  const why = exitCode === 124 ? 'timed out' : `exit ${exitCode}`;
  return `install failed (${why})${note}${tail ? `:\n${tail}` : ''}`;
}
