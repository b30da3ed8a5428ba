// ImageSource over the local docker CLI: `docker image inspect` for the id, `docker save` streamed (a
// child process whose stdout is the tarball: the Host port collects output as text, not bytes).
import { spawn } from 'node:child_process';
import { CacError } from '../../errors.js';
import type { Host } from '../../ports/host.js';
import type { ImageExport, ImageSource } from '../../ports/image-source.js';

/** Where DockerImageSource runs docker. */
export interface DockerImageSourceOptions {
  /** The machine cac runs on. */
  host: Host;
  dockerPath: string;
  /** The docker client's full environment (PATH, DOCKER_HOST …). */
  env: Record<string, string>;
}

/** ImageSource of the local engine: `docker save` streams. */
export class DockerImageSource implements ImageSource {
  constructor(private readonly opts: DockerImageSourceOptions) {}

  async imageId(image: string, opts: { signal?: AbortSignal } = {}): Promise<string | undefined> {
    const r = await this.opts.host.exec([this.opts.dockerPath, 'image', 'inspect', '--format', '{{.Id}}', image], { env: this.opts.env, ...opts });
    return r.exitCode === 0 ? r.stdout.trim() || undefined : undefined;
  }

  save(image: string, opts: { signal?: AbortSignal } = {}): ImageExport {
    const child = spawn(this.opts.dockerPath, ['save', image], { env: this.opts.env, stdio: ['ignore', 'pipe', 'pipe'], ...(opts.signal ? { signal: opts.signal } : {}) });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    const done = new Promise<void>((resolve, reject) => {
      child.once('error', (e) => reject(new CacError('ERR_PRELOAD_IMAGE', `docker save ${image} could not run: ${e.message}`, { cause: e })));
      child.once('close', (code) => {
        if (code === 0) resolve();
        else reject(new CacError('ERR_PRELOAD_IMAGE', `docker save ${image} failed (exit ${String(code)}): ${stderr.trim().split('\n').pop() ?? ''}`));
      });
    });
    return { stream: child.stdout, done };
  }
}
