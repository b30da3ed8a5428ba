// Round trip 2: every agent's files in ONE tar stream, extracted at / by the remote user, so file
// contents travel over stdin (never a command line) and land owned by that user with our modes.
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import type { TarEntry } from './plan.js';

export function packEntries(entries: readonly TarEntry[], owner: { uid: number; gid: number; user: string }, now = new Date()): Readable {
  const p = pack();
  const common = { uid: owner.uid, gid: owner.gid, uname: owner.user, gname: owner.user, mtime: now };
  for (const e of entries) {
    // names relative to /, so one stream serves paths in and outside the home
    const name = e.path.replace(/^\/+/, '');
    if (e.data) p.entry({ ...common, name, mode: e.mode, type: 'file', size: e.data.byteLength }, Buffer.from(e.data));
    else p.entry({ ...common, name, mode: e.mode, type: 'directory' });
  }
  p.finalize();
  // tar-stream packs into a streamx stream; hand out a Node Readable
  return Readable.from(p);
}
