// RepoSource: git history on the machine running cac, packed for a box (repo_delivery = "push"). The
// box needs no credentials and no route to the repository: the bundle travels over the box's SSH pipe.
import type { Readable } from 'node:stream';

/** A git bundle made on the machine running cac. */
export interface RepoBundle {
  /** The bundle's bytes (each call opens a new stream). */
  open(): Readable;
  /** Removes the bundle file. */
  dispose(): Promise<void>;
}

/** The port for git bundles of a repository's branches (push delivery). */
export interface RepoSource {
  /**
   * A bundle of `refs/heads/<branch>` for each branch, from the local repository `repoUrl` names (a path or
   * file:// URL) or from a mirror of it kept in the state dir. Throws ERR_REPO_BRANCH for a missing branch.
   */
  bundle(repoUrl: string, branches: readonly string[], opts?: { signal?: AbortSignal }): Promise<RepoBundle>;
  /** The git object ids of `paths` that exist at `branch` (same source as `bundle`), in the order given. */
  objectIds(repoUrl: string, branch: string, paths: readonly string[], opts?: { signal?: AbortSignal }): Promise<string[]>;
  /**
   * The commit `refs/heads/<branch>` points at now: read in the local repository, or with one `git ls-remote`
   * of a hosted one. Throws ERR_REPO_BRANCH for a missing branch, ERR_REPO when the repository cannot be read.
   */
  head(repoUrl: string, branch: string, opts?: { signal?: AbortSignal }): Promise<string>;
  /** How many commits `to` has that `from` lacks, counted in the local repository or its mirror; null when they are not both there. */
  behind(repoUrl: string, from: string, to: string, opts?: { signal?: AbortSignal }): Promise<number | null>;
}
