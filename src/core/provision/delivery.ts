// How the repository reaches a box: `push` (cac bundles it and streams it over SSH) or `clone` (the box
// clones the URL itself). Local paths and file:// URLs can only be pushed; hosted repos are cloned.
/** How the repo reaches a box: `push` (a bundle over SSH) or `clone` (the box clones). */
export type RepoDelivery = 'clone' | 'push';

/** The configured delivery, else push for a local path or file:// URL and clone for anything else. */
export function repoDelivery(repoUrl: string, configured?: RepoDelivery): RepoDelivery {
  if (configured) return configured;
  return repoUrl.startsWith('/') || /^file:\/\//i.test(repoUrl) ? 'push' : 'clone';
}
