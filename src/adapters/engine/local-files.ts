// WorkspaceFiles on the machine cac runs on.
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { WorkspaceFiles } from '../../ports/workspace-files.js';

/** WorkspaceFiles on the local file system. */
export const localFiles: WorkspaceFiles = {
  async readText(path) {
    try {
      return await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw e;
    }
  },
  async isDirectory(path) {
    return stat(path).then(
      (s) => s.isDirectory(),
      () => false,
    );
  },
  async writeText(path, text) {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFile(path, text);
  },
  resolve: (...parts) => resolve(...parts),
};
