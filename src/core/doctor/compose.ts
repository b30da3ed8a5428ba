// Which Docker Compose a host offers for `dockerComposeFile` dev containers: v2 `docker compose`
// first, then v1 `docker-compose`, the order the devcontainer CLI tries them in.
import type { Host } from '../../ports/host.js';

export interface ComposeFound {
  /** How to run it: [docker, compose] or [docker-compose]. */
  argv: string[];
  /** v2 is the docker CLI plugin, v1 the standalone docker-compose. */
  flavor: 'v2' | 'v1';
  version: string;
}

/** The Compose the host runs, or undefined when neither `docker compose` nor `docker-compose` answers. */
export async function detectCompose(host: Host, dockerPath: string, env: Record<string, string>, signal?: AbortSignal): Promise<ComposeFound | undefined> {
  const tries: Array<Omit<ComposeFound, 'version'>> = [
    { argv: [dockerPath, 'compose'], flavor: 'v2' },
    { argv: ['docker-compose'], flavor: 'v1' },
  ];
  for (const t of tries) {
    const r = await host.exec([...t.argv, 'version', '--short'], { env, timeoutMs: 15_000, ...(signal ? { signal } : {}) });
    const version = r.stdout.trim().split('\n')[0]?.trim() ?? '';
    if (r.exitCode === 0 && /^v?\d/.test(version)) return { ...t, version };
  }
  return undefined;
}
