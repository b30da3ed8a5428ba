// Human rendering of pools: the reconcile plan and what was applied, per pool; `pool status` as a table.
import Table from 'cli-table3';
import type { PoolReport, PoolStatus, PrepareReport, ReconcileResult } from '../../app/use-cases/pools.js';

const count = (n: number, what: string) => `${n} ${what}`;

function poolLines(p: PoolReport, dryRun: boolean): string[] {
  const { plan } = p;
  const verbs = [count(plan.creates, 'create'), count(plan.fails.length, 'fail'), count(plan.releases.length, 'release'), count(plan.destroys.length, 'destroy')];
  const lines = [`pool ${p.poolKey}${p.configured ? '' : ' (not in [[pools]])'}: ${dryRun ? 'would ' : ''}${verbs.join(', ')}`];
  for (const note of plan.notes) lines.push(`  ${note}`);
  if (plan.blocked) lines.push(`  creates blocked: ${plan.blocked}`);
  if (p.applied?.held && p.applied.held !== plan.held) lines.push(`  creates ${p.applied.held}`);
  for (const a of [...plan.fails, ...plan.releases, ...plan.destroys]) lines.push(`  ${a.id}: ${a.reason}`);
  const f = p.applied?.freshness;
  if (f?.head) {
    lines.push(
      `  head ${f.head.slice(0, 7)}: ${count(f.atHead.length, 'at head')}, ${count(f.updated.length, 'updated in place')}, ${count(f.replaced.length, 'replaced')}, ${count(f.failed.length, 'failed')}`,
    );
    for (const x of f.failed) lines.push(`  ${x.id}: ${x.reason}`);
  }
  for (const b of p.applied?.provisioned ?? []) lines.push(`  ${b.id}: ${b.outcome}${b.resumed ? ' (resumed)' : ''}${b.error ? `: ${b.error}` : ''}`);
  return lines;
}

export function renderReconcile(r: ReconcileResult): string {
  if (r.outcome === 'skipped') return `reconcile skipped: ${r.reason ?? ''}`;
  const lines = [r.dryRun ? 'dry run: the plan below changes nothing' : `reconciled in ${(r.durationMs / 1000).toFixed(1)}s`];
  if (r.pools.length === 0) lines.push('no pools: add [[pools]] entries to the config');
  for (const p of r.pools) lines.push(...poolLines(p, r.dryRun));
  const o = r.orphans;
  if (o.destroyVms.length || o.failBoxes.length || o.releasing.length) {
    lines.push(`orphans: ${count(o.destroyVms.length, 'VM(s) without a record')}, ${count(o.failBoxes.length, 'record(s) whose VM is gone')}, ${count(o.releasing.length, 'interrupted release(s)')}`);
    for (const v of o.destroyVms) lines.push(`  ${v.vmRef.slice(0, 12)}: ${v.reason}`);
    for (const f of o.failBoxes) lines.push(`  ${f.id}: ${f.reason}`);
  }
  if (r.purged.length) lines.push(`${r.dryRun ? 'would purge' : 'purged'} ${count(r.purged.length, 'destroyed record(s)')} past keep_destroyed`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}

/** An age as the largest whole unit: 42s, 5m, 3h, 2d. */
function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : s < 172800 ? `${Math.round(s / 3600)}h` : `${Math.round(s / 86400)}d`;
}

export function renderPrepare(rows: readonly PrepareReport[]): string {
  if (rows.length === 0) return 'no pools: add [[pools]] entries to the config';
  return rows.map((r) => `${r.poolKey}: ${r.action === 'prepared' ? `prepared ${r.configHash} in ${(r.durationMs / 1000).toFixed(1)}s (${r.reason})` : `unchanged, ${r.reason}`}`).join('\n');
}

const avg = (n: number | null) => (n === null ? '-' : `${(n / 1000).toFixed(2)}s`);

export function renderStatus(rows: readonly PoolStatus[]): string {
  if (rows.length === 0) return 'no pools: add [[pools]] entries to the config';
  const table = new Table({
    head: ['pool', 'standby', 'provisioning', 'claimed', 'failed', 'min/max', 'creates', 'claims warm/cold', 'claim avg', 'provision avg', 'box-hours 24h', 'prepared', 'head'],
    style: { head: [], border: [] },
  });
  for (const r of rows) {
    const creates = r.paused ? 'paused' : r.blocked ? (r.blocked.split(':')[0] ?? 'blocked') : r.held ? 'held by max_live' : 'ok';
    table.push([
      r.configured ? r.poolKey : `${r.poolKey} *`,
      r.standby,
      r.provisioning,
      r.claimed,
      r.failed,
      r.configured ? `${r.minStandby}/${r.maxInstances}` : '-',
      creates,
      `${r.warmClaims}/${r.coldClaims}`,
      avg(r.claimLatencyMsAvg),
      avg(r.provisionLatencyMsAvg),
      r.boxHoursLastDay.toFixed(2),
      r.prepared ? `${r.prepared.configHash}, ${age(r.prepared.ageMs)} ago` : '-',
      r.head ? r.head.slice(0, 7) : '-',
    ]);
  }
  const unconfigured = rows.some((r) => !r.configured) ? '\n* not in [[pools]]: cold boxes only' : '';
  // each box's commit and how far behind its base head it was at the last check
  const boxes = rows.flatMap((r) => r.boxes.map((b) => `  ${b.id}  ${b.state.padEnd(12)} ${b.commit ?? '-      '}  ${b.text}`));
  return `${table.toString()}${unconfigured}${boxes.length ? `\nboxes:\n${boxes.join('\n')}` : ''}`;
}
