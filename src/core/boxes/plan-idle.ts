// `[boxes] idle_timeout`, the decision: from what the last round recorded (BoxActivity) and what this
// round's probe measured on the box, when the held box was last in use and whether it has been idle
// long enough to release. Pure; reconcile probes, writes the activity back and releases.
import { durationText } from '../../domain/duration.js';
import type { Box, BoxActivity } from '../../domain/box.js';
import type { ActivityReading } from './activity-probe.js';

/**
 * The dev container counts as busy when it used at least this share of one CPU between two probes: a
 * container doing nothing still runs its keep-alive loop (the devcontainer CLI's `sleep 1` loop, well
 * under 1%), anything a person or an agent runs uses more.
 */
export const CPU_BUSY_SHARE = 0.02;

/** What one probe gave: its reading, or why it failed. */
export type ProbeOutcome = { reading: ActivityReading } | { error: string };

/** The activity to record, and whether the box is idle past the timeout (then `reason` is its releaseReason). */
export interface IdleVerdict {
  activity: BoxActivity;
  idle: boolean;
  reason?: string;
}

/** Why the box counts as in use at this probe, or [] when nothing did. */
function activeNow(prev: BoxActivity | null, r: ActivityReading, now: number): string[] {
  const why: string[] = [];
  if (r.sshSessions > 0) why.push(`${r.sshSessions} ssh session(s)`);
  // the first measure, or a CPU counter that went back (a restarted container): a baseline, not a verdict
  if (prev === null) why.push('first probe');
  else if (r.cpuUsec !== null) {
    if (prev.cpuUsec === null || r.cpuUsec < prev.cpuUsec) why.push('cpu (new baseline)');
    else {
      const share = (r.cpuUsec - prev.cpuUsec) / 1000 / Math.max(1, now - prev.checkedAt);
      if (share >= CPU_BUSY_SHARE) why.push(`cpu ${Math.round(share * 1000) / 10}%`);
    }
  }
  return why;
}

/**
 * The verdict on one held box at `now`. A failed probe counts as use (never a release) and drops the CPU
 * baseline; the first probe (no previous reading) only sets the baseline and starts the idle clock.
 */
export function judgeIdle(box: Pick<Box, 'activity'>, probe: ProbeOutcome, now: number, idleTimeoutMs: number): IdleVerdict {
  const prev = box.activity;
  if ('error' in probe) return { activity: { checkedAt: now, lastActiveAt: now, cpuUsec: null, activeBy: 'probe failed' }, idle: false };
  const r = probe.reading;
  const why = activeNow(prev, r, now);
  let lastActiveAt = why.length > 0 || prev === null ? now : prev.lastActiveAt;
  let activeBy = why.length > 0 || prev === null ? why.join(', ') : prev.activeBy;
  // `cac box exec` since then (its marker's age, by the box's clock)
  if (r.execAgoMs !== null && now - r.execAgoMs > lastActiveAt) {
    lastActiveAt = now - r.execAgoMs;
    activeBy = 'box exec';
  }
  const activity: BoxActivity = { checkedAt: now, lastActiveAt, cpuUsec: r.cpuUsec, activeBy };
  const idleFor = now - lastActiveAt;
  if (idleFor < idleTimeoutMs) return { activity, idle: false };
  const signals = r.cpuUsec === null ? 'no SSH session, no box exec; CPU not measured: no running dev container' : 'no SSH session, no box exec, no CPU use';
  return { activity, idle: true, reason: `idle for ${durationText(idleFor)} (${signals}; idle_timeout ${durationText(idleTimeoutMs)})` };
}
