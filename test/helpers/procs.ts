// The processes on this machine whose command line mentions a string (a workspace folder, a container
// id, a marker): to check that an interrupted command left no child behind. Linux /proc; processes of
// containers are visible here too. The engine's own processes (dockerd, containerd, its shims, runc)
// are never a command's children and are left out.
import { readdirSync, readFileSync } from 'node:fs';

export interface Proc {
  pid: number;
  cmdline: string;
}

const ENGINE = new Set(['dockerd', 'containerd', 'containerd-shim', 'containerd-shim-runc-v2', 'runc', 'docker-proxy']);

export function processesMentioning(needles: readonly string[]): Proc[] {
  const found: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      continue; // gone meanwhile
    }
    const program = cmdline.split(' ')[0]?.split('/').pop() ?? '';
    if (cmdline !== '' && !ENGINE.has(program) && needles.some((n) => cmdline.includes(n))) found.push({ pid: Number(entry), cmdline });
  }
  return found;
}
