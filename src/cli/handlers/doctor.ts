// cac doctor: a table of checks; exit 0 ok, 3 warnings, 1 errors.
import Table from 'cli-table3';
import { doctor as runDoctor, type DoctorCheck } from '../../app/use-cases/doctor.js';
import { EXIT } from '../../errors.js';
import type { Handler } from '../action.js';

export const doctor: Handler = async (ctx) => {
  const doc = await runDoctor(ctx);
  ctx.result(doc, renderTable(doc.checks));
  return doc.outcome === 'success' ? EXIT.ok : doc.outcome === 'warnings' ? EXIT.warnings : EXIT.failed;
};

function renderTable(checks: DoctorCheck[]): string {
  const table = new Table({ head: ['check', 'status', 'detail', 'hint'], style: { head: [], border: [] }, wordWrap: true });
  for (const c of checks) table.push([c.name, c.status, c.detail, c.hint ?? '']);
  return table.toString();
}
