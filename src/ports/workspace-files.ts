// WorkspaceFiles: reading the files of a workspace where it lives (this machine, or a box over SSH), so
// finding its devcontainer.json is the same code in both places.

/** Reads files where the workspace lives; undefined when the path does not exist. */
export interface WorkspaceFiles {
  readText(path: string): Promise<string | undefined>;
  isDirectory(path: string): Promise<boolean>;
  resolve(...parts: string[]): string;
}
