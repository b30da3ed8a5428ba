// Input checks at the edge of the box API: repo URLs, branch names (git's check-ref-format rules),
// counts, claimants, box ids, image references (host and login names: hosts.ts). A bad value is ERR_INVALID_INPUT (exit 2) whose message starts with the field.
import { CacError } from '../errors.js';

/** ERR_INVALID_INPUT (exit 2) whose message starts with the field. */
export function invalid(field: string, problem: string, hint?: string): CacError {
  return new CacError('ERR_INVALID_INPUT', `${field}: ${problem}`, { ...(hint ? { hint } : {}), details: { field } });
}

const REPO_HINT = 'use https://host/path, ssh://[user@]host/path, user@host:path, file:///path or an absolute local path';
const CREDENTIAL_HINT = 'use a git credential helper, or an SSH URL (ssh://git@host/path or git@host:path) with a key';
const SCP_LIKE = /^(?:([A-Za-z0-9._~-]+)@)?([A-Za-z0-9][A-Za-z0-9.-]*):(?!\/\/)(.+)$/;
// git's `<transport>::<address>` (ext::, fd::, a remote helper): ext:: runs any command it names
const TRANSPORT_PREFIX = /^[A-Za-z0-9][A-Za-z0-9+.-]*::/;
// C1 controls and the bidi/invisible format characters that make a URL print as something it is not
const HIDDEN = /[\u0080-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/;

/** The transports git may use for a repository cac was given (GIT_ALLOW_PROTOCOL for every git cac starts). */
export const GIT_ALLOW_PROTOCOL = 'https:ssh:git:file';

/** Why `url` is not a repository location cac accepts, or undefined when it is one. */
function repoProblem(url: string): string | undefined {
  if (url === '') return 'is empty';
  if (/[\s\x00-\x1f\x7f]/.test(url)) return 'contains whitespace or control characters';
  if (HIDDEN.test(url)) return 'contains invisible or text-direction characters';
  if (url.startsWith('-')) return 'must not start with "-"';
  if (url.startsWith('/')) return undefined;
  if (TRANSPORT_PREFIX.test(url)) return 'names a git transport (<transport>::…), which cac does not use';
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    const scp = SCP_LIKE.exec(url);
    if (!scp) return 'is not a URL, user@host:path or an absolute path';
    // ssh would read `-…` as an option, and git-upload-pack a path `-…` as one
    if (scp[1]?.startsWith('-') || scp[3]?.startsWith('-')) return 'has a user or path starting with "-"';
    return undefined;
  }
  if (!['https', 'ssh', 'file'].includes(scheme)) return `scheme ${scheme}:// is not supported`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a valid URL';
  }
  // the repo URL ends up in the store, VM labels, plugin input and logs: a secret there would leak
  if (parsed.password !== '') return 'must not carry a password';
  // a token is often given as the user name (https://<token>@host/…); an https URL has no use for a user
  if (scheme === 'https' && /^https:\/\/[^/?#]*@/i.test(url)) return 'must not carry a user name or token';
  if (scheme === 'file') return parsed.host === '' || parsed.host === 'localhost' ? (parsed.pathname.length > 1 ? undefined : 'has no path') : 'file:// URLs must name a local path (file:///path)';
  if (parsed.hostname === '') return 'has no host';
  if (parsed.hostname.startsWith('-') || decodeURIComponent(parsed.username).startsWith('-')) return 'has a host or user starting with "-"';
  if (parsed.pathname.length <= 1) return 'has no repository path';
  return undefined;
}

/** `url` with an http(s) user name or any password masked: a refused credential is not repeated in the error. */
function withoutCredentials(url: string): string {
  return url.replace(/^(https?:\/\/)[^/?#]*@/i, '$1***@').replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#:@]*):[^/?#]*@/, '$1:***@');
}

/** Throws ERR_INVALID_INPUT naming `field` unless `url` is https://, ssh://, user@host:path, file:// or an absolute path. */
export function validateRepoUrl(url: string, field = 'repo'): string {
  const problem = repoProblem(url);
  if (!problem) return url;
  throw invalid(field, `${JSON.stringify(withoutCredentials(url))} ${problem}`, /password|user name/.test(problem) ? CREDENTIAL_HINT : REPO_HINT);
}

// git check-ref-format: no control chars, space, ~ ^ : ? * [ \ anywhere
const REF_FORBIDDEN = /[\x00-\x20\x7f~^:?*[\\]/;

/** Why `name` is not a valid branch name under `git check-ref-format --branch`, or undefined. */
export function branchProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name.length > 200) return 'is longer than 200 characters';
  if (name.startsWith('-')) return 'must not start with "-"';
  if (name === 'HEAD' || name === '@') return `"${name}" is not a branch name`;
  if (REF_FORBIDDEN.test(name)) return 'contains a space, a control character or one of ~ ^ : ? * [ \\';
  if (name.includes('..')) return 'contains ".."';
  if (name.includes('@{')) return 'contains "@{"';
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) return 'has an empty path component (a leading, trailing or double "/")';
  if (name.endsWith('.')) return 'ends with "."';
  for (const part of name.split('/')) {
    if (part.startsWith('.')) return `has a component starting with "." (${part})`;
    if (part.endsWith('.lock')) return `has a component ending with ".lock" (${part})`;
  }
  return undefined;
}

/** Throws ERR_INVALID_INPUT naming `field` unless `name` passes git's branch-name rules. */
export function validateBranch(name: string, field = 'branch'): string {
  const problem = branchProblem(name);
  if (problem) throw invalid(field, `${JSON.stringify(name)} ${problem}`, "branch names follow 'git check-ref-format --branch'");
  return name;
}

/** Throws ERR_INVALID_INPUT naming `field` unless `n` is an integer ≥ `min`. */
export function validateCount(n: number, field: string, min: number): number {
  if (!Number.isSafeInteger(n) || n < min) throw invalid(field, `${String(n)} must be a whole number ≥ ${min}`);
  return n;
}

// a claimant names who holds a box in listings and metrics: a name, an e-mail, a ticket (ci/job#12)
const CLAIMANT = /^[A-Za-z0-9][A-Za-z0-9._@+:#/-]*$/;
const CLAIMANT_MAX = 128;

/** Throws ERR_INVALID_INPUT naming `field` unless `name` is a claimant name: letters, digits and . _ @ + : # / -, at most 128. */
export function validateClaimant(name: string, field = 'claimant'): string {
  if (name.length > CLAIMANT_MAX) throw invalid(field, `is longer than ${CLAIMANT_MAX} characters`);
  if (!CLAIMANT.test(name)) {
    throw invalid(field, `${JSON.stringify(name)} is not a claimant name`, 'use letters, digits and . _ @ + : # / - (starting with a letter or digit), e.g. --for ticket-42');
  }
  return name;
}

/** Throws ERR_INVALID_INPUT unless `id` looks like a box id (`box_` + 12 lowercase alphanumerics). */
export function validateBoxId(id: string, field = 'id'): string {
  if (!/^box_[0-9a-z]{12}$/.test(id)) throw invalid(field, `${JSON.stringify(id)} is not a box id (box_ followed by 12 lowercase letters or digits)`, "see 'cac box list'");
  return id;
}

// docker's reference grammar: [registry[:port]/]path[:tag][@digest]; path components are lowercase
const REGISTRY = String.raw`(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]+)?/)?`;
const PATH = `[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*`;
const TAG = `(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?`;
const DIGEST = `(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?`;
const IMAGE_REF = new RegExp(`^${REGISTRY}${PATH}${TAG}${DIGEST}$`);

/** True for an image reference docker accepts (`node:20`, `mcr.microsoft.com/devcontainers/javascript-node:20`, `name@sha256:…`); never an option. */
export function isImageRef(ref: string): boolean {
  return ref.length <= 512 && IMAGE_REF.test(ref);
}

/** Throws ERR_INVALID_INPUT naming `field` unless `ref` is an image reference. */
export function validateImageRef(ref: string, field: string): string {
  if (!isImageRef(ref)) throw invalid(field, `${JSON.stringify(ref)} is not an image reference`, 'e.g. mcr.microsoft.com/devcontainers/javascript-node:20 or node:20-bookworm');
  return ref;
}
