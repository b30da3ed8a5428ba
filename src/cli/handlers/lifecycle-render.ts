// Human rendering of lifecycle results: one final line on stderr; `list` as a table on stdout.
import Table from 'cli-table3';
import type { Reporter } from '../../ports/reporter.js';
import type { LifecycleResult, ListedContainer } from '../../app/use-cases/lifecycle.js';

export function renderLifecycle(reporter: Reporter, r: LifecycleResult): void {
  if (r.action === 'none') return;
  const id = r.containerId?.slice(0, 12) ?? '-';
  const where = r.remoteUser ? ` · user ${r.remoteUser}${r.remoteWorkspaceFolder ? ` · ${r.remoteWorkspaceFolder}` : ''}` : '';
  reporter.emit({ type: 'info', message: `${r.action} container ${id}${where} (${(r.durationMs / 1000).toFixed(1)}s)` });
}

export function renderList(rows: ListedContainer[]): string {
  if (rows.length === 0) return 'no cac-managed dev containers';
  const table = new Table({ head: ['container', 'workspace', 'state', 'image / compose project', 'age'], style: { head: [], border: [] } });
  for (const r of rows) table.push([r.containerId.slice(0, 12), r.workspace ?? '-', r.state, r.composeProject ? `${r.composeProject}: ${r.services?.join(', ') ?? ''}` : r.image, age(r.ageMs)]);
  return table.toString();
}

function age(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 90) return `${s}s`;
  if (s < 5400) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}
