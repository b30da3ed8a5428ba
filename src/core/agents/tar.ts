// Every agent's files in ONE tar stream on the injection exec's stdin (never a command line),
// extracted in the remote user's home by that user, so they land owned by it with our modes.
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import type { TarEntry } from './plan.js';

/** The tar member name of a container path: `~/x` → `x` (extracted in the home); absolute stays (-P). */
export function memberName(path: string): string {
  return path.startsWith('~/') ? path.slice(2) : path;
}

/** The top-most member names: every member is one of them or under one. */
export function memberRoots(names: readonly string[]): string[] {
  const sorted = [...new Set(names)].sort((a, b) => a.length - b.length);
  const roots: string[] = [];
  for (const n of sorted) if (!roots.some((r) => n.startsWith(`${r}/`))) roots.push(n);
  return roots;
}

export function packEntries(entries: readonly TarEntry[], now = new Date()): Readable {
  const p = pack();
  const common = { mtime: now };
  for (const e of entries) {
    const name = memberName(e.path);
    if (e.data) p.entry({ ...common, name, mode: e.mode, type: 'file', size: e.data.byteLength }, Buffer.from(e.data));
    else p.entry({ ...common, name, mode: e.mode, type: 'directory' });
  }
  p.finalize();
  // tar-stream packs into a streamx stream; hand out a Node Readable
  return Readable.from(p);
}
