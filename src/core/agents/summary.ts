// The human lines of an injection (pure): a header, one line per agent, a closing line on warnings.
import type { AgentKind } from '../../domain/kinds.js';
import type { AgentResult } from './result.js';

export function headerLine(kinds: readonly AgentKind[]): string {
  return `Injecting agents: ${kinds.join(', ')}`;
}

export function agentLine(r: AgentResult): string {
  if (r.status === 'warning') return `${r.agent}: warning: ${r.warnings.join('; ')}`;
  if (r.status === 'skipped') return `${r.agent}: skipped`;
  const n = r.copied.length;
  const parts = [
    `copied ${n} file${n === 1 ? '' : 's'}`,
    ...(r.installed ? [r.installedFrom === 'cache' ? 'installed from cache' : r.installedFrom === 'volume' ? 'linked from its volume' : 'installed'] : []),
  ];
  return `${r.agent}: ok (${parts.join(', ')})`;
}

export function warningCount(results: readonly AgentResult[]): number {
  return results.reduce((n, r) => n + (r.status === 'warning' ? r.warnings.length : 0), 0);
}

/** Undefined when there was nothing to warn about. */
export function closingLine(results: readonly AgentResult[]): string | undefined {
  const n = warningCount(results);
  return n === 0 ? undefined : `Agent injection completed with ${n} warning(s). Run 'cac agents doctor' for details.`;
}
