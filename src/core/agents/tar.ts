// Every agent's files in ONE tar stream on the injection exec's stdin (never a command line),
// extracted in the remote user's home by that user, so they land owned by it with our modes.
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import type { TarEntry } from './plan.js';

export function packEntries(entries: readonly TarEntry[], now = new Date()): Readable {
  const p = pack();
  const common = { mtime: now };
  for (const e of entries) {
    // `~/x` → `x` (extracted in the home); absolute paths stay absolute (extracted with -P)
    const name = e.path.startsWith('~/') ? e.path.slice(2) : e.path;
    if (e.data) p.entry({ ...common, name, mode: e.mode, type: 'file', size: e.data.byteLength }, Buffer.from(e.data));
    else p.entry({ ...common, name, mode: e.mode, type: 'directory' });
  }
  p.finalize();
  // tar-stream packs into a streamx stream; hand out a Node Readable
  return Readable.from(p);
}
