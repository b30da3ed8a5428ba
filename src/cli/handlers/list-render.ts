// `cac list` as a table on stdout; apart from lifecycle-render.ts so that `up` never loads cli-table3.
import Table from 'cli-table3';
import type { ListedContainer } from '../../app/use-cases/lifecycle.js';

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
