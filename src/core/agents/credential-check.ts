// A credential file coming back from the container is untrusted bytes about to replace the host's
// login: it is taken only when it is the same kind of file as the host copy (pure; reasons never
// quote the content).

/** Sync-back and guards read at most this much of a credential (anything bigger is refused). */
export const MAX_CREDENTIAL_BYTES = 1024 * 1024;

/** Why the container's copy is not taken (`its copy …`), or undefined when it is. */
export function unlikeCredential(host: Uint8Array, container: Uint8Array): string | undefined {
  if (container.byteLength > MAX_CREDENTIAL_BYTES) return `is larger than ${MAX_CREDENTIAL_BYTES / 1024 / 1024} MiB`;
  const hostText = utf8(host);
  const hostDoc = hostText === undefined ? undefined : json(hostText);
  if (hostDoc !== undefined) {
    const text = utf8(container);
    const doc = text === undefined ? undefined : json(text);
    if (doc === undefined) return 'is not JSON like the host copy';
    if (shape(doc) !== shape(hostDoc)) return `is ${article(shape(doc))}, the host copy ${article(shape(hostDoc))}`;
    if (shape(doc) === 'object' && !sameKeys(doc as object, hostDoc as object)) return 'has other top-level keys than the host copy';
    return undefined;
  }
  // not JSON on the host: text stays text (a binary host file cannot be judged beyond its size)
  const text = utf8(container);
  if (hostText !== undefined && !hostText.includes('\0') && (text === undefined || text.includes('\0'))) return 'is not text like the host copy';
  return undefined;
}

function json(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function utf8(data: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    return undefined;
  }
}

function shape(doc: unknown): string {
  return doc === null ? 'null' : Array.isArray(doc) ? 'array' : typeof doc;
}

function article(s: string): string {
  return `${/^[aeiou]/.test(s) ? 'an' : 'a'} ${s}`;
}

function sameKeys(a: object, b: object): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i]);
}
