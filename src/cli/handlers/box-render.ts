// Human rendering of boxes: `box list` as a table, `box show` as fields and a table of steps with their
// durations (loaded only for human output: cli-table3 is not on the warm-claim path).
import Table from 'cli-table3';
import ms from 'ms';
import { leaseRemainingMs, locationText, type Box } from '../../domain/box.js';
import { freshnessOf } from '../../domain/freshness.js';
import { sshLine } from './box-lines.js';

const tableStyle = { head: [], border: [] };

/** What is left of the lease: `7h`, `expired`, or `-` (no lease, or released). */
function leaseLeft(b: Box, now: number): string {
  const left = leaseRemainingMs(b, now);
  return left === null ? '-' : left === 0 ? 'expired' : ms(left);
}

/** `abc1234 (3 behind, checked 20s ago)`: the box's commit and how far behind its base head it was at the last check. */
export function commitLine(b: Box, now: number): string {
  const f = freshnessOf(b);
  if (f.commit === null) return '-';
  return `${f.commit} (${f.text}${f.checkedAt === null ? '' : `, checked ${ms(Math.max(0, now - f.checkedAt))} ago`})`;
}

export function renderBoxList(boxes: readonly Box[], now: number): string {
  if (boxes.length === 0) return 'no boxes';
  const table = new Table({ head: ['box', 'state', 'repo', 'branch', 'claimant', 'warm', 'lease left', 'vm on', 'age'], style: tableStyle });
  for (const b of boxes) {
    // an engine ID is long: its first 14 characters tell a handful of hosts apart
    const where = locationText(b.vmLocation ? { ...b.vmLocation, engine: b.vmLocation.engine?.slice(0, 14) ?? null } : null);
    table.push([b.id, b.state, b.repoUrl, b.branch, b.claimant ?? '-', b.warm === null ? '-' : b.warm ? 'yes' : 'no', leaseLeft(b, now), where, ms(Math.max(0, now - b.createdAt))]);
  }
  return table.toString();
}

export function renderBox(b: Box, now: number): string {
  const time = (t: number | null) => (t === null ? '-' : new Date(t).toISOString());
  const lines = [
    `box        ${b.id}`,
    `state      ${b.state}${b.error ? ` (${b.error})` : ''}`,
    `pool       ${b.poolKey}`,
    `branch     ${b.branch}`,
    `claimant   ${b.claimant ?? '-'}${b.warm === null ? '' : b.warm ? ' (warm)' : ' (cold)'}`,
    `lease      ${time(b.leaseExpiresAt)}${leaseRemainingMs(b, now) === null ? '' : ` (${leaseLeft(b, now)}${leaseRemainingMs(b, now) === 0 ? '' : ' left'})`}`,
    `vm         ${b.vmRef ?? '-'}`,
    `vm on      ${locationText(b.vmLocation)}`,
    `ssh        ${sshLine(b)}`,
    `host key   ${b.sshTarget?.hostKey ?? '-'}`,
    `checkout   ${b.workspace ? `${b.workspace.folder} (${b.workspace.branch})` : '-'}`,
    `commit     ${commitLine(b, now)}`,
    `container  ${b.workspace?.containerId ? `${b.workspace.containerId.slice(0, 12)} as ${b.workspace.remoteUser ?? '?'} in ${b.workspace.remoteWorkspaceFolder ?? '?'}` : '-'}`,
    ...(b.workspace?.generatedImage ? [`image      ${b.workspace.generatedImage} ([boxes] default_image: the repo has no devcontainer configuration)`] : []),
    `created    ${time(b.createdAt)}`,
    ...(b.activity ? [`in use     ${time(b.activity.lastActiveAt)} (${b.activity.activeBy}; checked ${ms(Math.max(0, now - b.activity.checkedAt))} ago)`] : []),
    ...(b.releaseReason ? [`released   ${b.releaseReason}`] : []),
  ];
  if (b.steps.length === 0) return lines.join('\n');
  const steps = new Table({ head: ['step', 'result', 'duration'], style: tableStyle });
  for (const s of b.steps) steps.push([s.name, s.ok ? 'ok' : `failed: ${s.error ?? ''}`, `${s.durationMs} ms`]);
  return `${lines.join('\n')}\n${steps.toString()}`;
}
