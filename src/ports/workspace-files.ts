// WorkspaceFiles: reading the files of a workspace where it lives (this machine, or a box over SSH), so
// finding its devcontainer.json (or writing the one cac generates outside it) is the same code in both places.

/** Reads files where the workspace lives; undefined when the path does not exist. */
export interface WorkspaceFiles {
  readText(path: string): Promise<string | undefined>;
  isDirectory(path: string): Promise<boolean>;
  /** Writes `text` to `path`, creating its parent folders (cac's own files, never inside a checkout). */
  writeText(path: string, text: string): Promise<void>;
  resolve(...parts: string[]): string;
}
