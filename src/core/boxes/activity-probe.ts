// The box side of `[boxes] idle_timeout`: one command over SSH per held box per reconcile round, measured
// on the box itself. It reports the box user's SSH sessions other than its own (the sshd session processes
// that are not its ancestors), the age of the marker `cac box exec` touches, and the dev container's
// cumulative CPU time from its cgroup (v1 cpuacct or v2 cpu.stat). Ages are taken by the box's clock, so
// a clock skew between this host and the box does not matter.
import { CacError } from '../../errors.js';
import type { Box } from '../../domain/box.js';

/** What one probe measured on the box. */
export interface ActivityReading {
  /** SSH sessions of the box user other than the probe's own (interactive, `cac box exec`, plain `ssh`). */
  sshSessions: number;
  /** How long ago `cac box exec` last ran on the box (ms); null when it never ran there. */
  execAgoMs: number | null;
  /** Cumulative CPU time of the dev container (µs); null when the box has no running dev container. */
  cpuUsec: number | null;
}

/** Measures one held box; throws when it cannot (a failure never releases the box). */
export type ActivityProbe = (box: Box, opts: { signal?: AbortSignal }) => Promise<ActivityReading>;

// $1 the box id (its marker), $2 the dev container or empty. One line per measure.
const SCRIPT = `skip=' '
p=$$
while [ -n "$p" ] && [ "$p" -gt 1 ]; do
  skip="$skip$p "
  p=$(sed -n 's/^.*) . \\([0-9]*\\) .*$/\\1/p' "/proc/$p/stat" 2>/dev/null)
done
n=0
for s in $(ps -o pid= -o comm= -u "$(id -u)" | awk '$2 == "sshd" || $2 == "sshd-session" { print $1 }'); do
  case "$skip" in *" $s "*) ;; *) n=$((n + 1)) ;; esac
done
echo "now $(date +%s)"
echo "sessions $n"
echo "exec $(stat -c %Y "$HOME/cac/$1/last-exec" 2>/dev/null || echo -)"
[ -n "$2" ] || { echo 'cpu -'; exit 0; }
pid=$(docker inspect -f '{{.State.Pid}}' "$2") || exit 3
[ "$pid" -gt 0 ] || { echo 'cpu -'; exit 0; }
group() { awk -F: -v k="$1" '(k == "0" && $1 == "0") || (k != "0" && $2 ~ "(^|,)" k "(,|$)") { print $3; exit }' "$2"; }
v1=$(group cpuacct "/proc/$pid/cgroup"); v1own=$(group cpuacct /proc/1/cgroup)
v2=$(group 0 "/proc/$pid/cgroup"); v2own=$(group 0 /proc/1/cgroup)
for d in /sys/fs/cgroup/cpuacct /sys/fs/cgroup/cpu,cpuacct /sys/fs/cgroup/cpuacct,cpu; do
  for c in "$v1" "\${v1#"$v1own"}"; do
    case "$c" in /*) ;; *) continue ;; esac
    if [ -r "$d$c/cpuacct.usage" ]; then echo "cpu $(($(cat "$d$c/cpuacct.usage") / 1000))"; exit 0; fi
  done
done
for c in "$v2" "\${v2#"$v2own"}"; do
  case "$c" in /*) ;; *) continue ;; esac
  if [ -r "/sys/fs/cgroup$c/cpu.stat" ]; then echo "cpu $(awk '$1 == "usage_usec" { print $2 }' "/sys/fs/cgroup$c/cpu.stat")"; exit 0; fi
done
echo 'cpu ?'
`;

/** The probe's argv (through the SSH Host's quoting): `sh -c <script> sh <box id> <container id>`. */
export function activityProbeArgv(box: Pick<Box, 'id' | 'workspace'>): string[] {
  return ['sh', '-c', SCRIPT, 'sh', box.id, box.workspace?.containerId ?? ''];
}

/** `argv` run by `cac box exec`, after touching the box's exec marker (a missing checkout dir is no error). */
export function markExecArgv(boxId: string, argv: readonly string[]): string[] {
  return ['sh', '-c', 'touch -- "$HOME/cac/$1/last-exec" 2>/dev/null; shift; exec "$@"', 'sh', boxId, ...argv];
}

const probeError = (message: string) => new CacError('ERR_BOX_PROBE', message, { hint: 'the box counts as in use until a probe succeeds' });

/** The reading from the probe's output; ERR_BOX_PROBE when it failed or said it cannot read the CPU use. */
export function parseActivity(out: { exitCode: number; stdout: string; stderr: string }): ActivityReading {
  if (out.exitCode !== 0) throw probeError(`the activity probe exited ${out.exitCode}: ${out.stderr.trim().split('\n').pop() ?? ''}`);
  const fields = new Map(
    out.stdout
      .split('\n')
      .map((l) => l.trim().split(' '))
      .filter((w) => w.length === 2)
      .map(([k, v]) => [k as string, v as string]),
  );
  const int = (key: string): number | null => {
    const v = fields.get(key);
    if (v === undefined) throw probeError(`the activity probe did not report ${key}`);
    if (v === '-') return null;
    if (v === '?' && key === 'cpu') throw probeError("cannot read the dev container's CPU use on the box (no cgroup cpuacct.usage or cpu.stat found for it)");
    if (!/^\d+$/.test(v)) throw probeError(`the activity probe reported ${key} ${JSON.stringify(v.slice(0, 40))}`);
    return Number(v);
  };
  const now = int('now');
  const sessions = int('sessions');
  const exec = int('exec');
  if (now === null || sessions === null) throw probeError('the activity probe reported no time or session count');
  return { sshSessions: sessions, execAgoMs: exec === null ? null : Math.max(0, now - exec) * 1000, cpuUsec: int('cpu') };
}
