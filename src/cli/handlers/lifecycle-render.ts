// Human rendering of lifecycle results: one final line on stderr (`list`'s table: list-render.ts).
import type { Reporter } from '../../ports/reporter.js';
import type { LifecycleResult } from '../../app/use-cases/lifecycle.js';

export function renderLifecycle(reporter: Reporter, r: LifecycleResult): void {
  if (r.action === 'none') return;
  const id = r.containerId?.slice(0, 12) ?? '-';
  const where = r.remoteUser ? ` · user ${r.remoteUser}${r.remoteWorkspaceFolder ? ` · ${r.remoteWorkspaceFolder}` : ''}` : '';
  reporter.emit({ type: 'info', message: `${r.action} container ${id}${where} (${(r.durationMs / 1000).toFixed(1)}s)` });
}
