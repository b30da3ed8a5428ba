// `[boxes] preload_images`: images copied from the engine where cac runs into the box's engine
// (`docker save` here streamed into `docker load` over the box's SSH connection), skipped when the box
// already holds the same image id. For air-gapped boxes and images that are in no registry.
import { CacError } from '../../errors.js';
import type { Host } from '../../ports/host.js';
import type { ImageSource } from '../../ports/image-source.js';
import type { Reporter } from '../../ports/reporter.js';

export interface PreloadDeps {
  images: ImageSource;
  reporter: Reporter;
}

/** Loads each image into the box's engine unless it is there already; returns the images copied. */
export async function preloadImages(deps: PreloadDeps, host: Host, images: readonly string[], opts: { boxId: string; signal: AbortSignal }): Promise<string[]> {
  const copied: string[] = [];
  const sig = { signal: opts.signal };
  for (const image of images) {
    const id = await deps.images.imageId(image, sig);
    if (!id) {
      throw new CacError('ERR_PRELOAD_IMAGE', `preload image ${image} is not in the local engine`, { hint: 'build or pull it here first, or remove it from [boxes] preload_images' });
    }
    const there = await host.exec(['docker', 'image', 'inspect', '--format', '{{.Id}}', image], sig);
    if (there.exitCode === 0 && there.stdout.trim() === id) continue;
    deps.reporter.emit({ type: 'log', source: opts.boxId, line: `loading ${image} into the box's engine` });
    const save = deps.images.save(image, sig);
    // a failed save rejects `done`; the load then sees a short stream and fails too: report the save
    const saved = save.done.then(
      () => undefined,
      (e: unknown) => e,
    );
    const r = await host.exec(['docker', 'load', '--quiet'], { stdin: save.stream, ...sig });
    const saveError = await saved;
    if (saveError) throw saveError;
    if (r.exitCode !== 0) {
      throw new CacError('ERR_PRELOAD_IMAGE', `docker load of ${image} on the box failed (exit ${r.exitCode}): ${r.stderr.trim().split('\n').pop() ?? ''}`, {
        hint: "the box's user needs access to its Docker engine (the docker group)",
      });
    }
    copied.push(image);
  }
  return copied;
}
