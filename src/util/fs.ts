// Atomic file writes: a temp file in the same dir, then rename, so nothing half-written is left behind.
import { link, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { randomBytes } from 'node:crypto';

export async function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o644, opts: { exclusive?: boolean } = {}): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    if (opts.exclusive) {
      // link fails if the target appeared meanwhile: never overwrite without being asked to
      await link(tmp, file);
      await rm(tmp, { force: true });
    } else {
      await rename(tmp, file);
    }
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
