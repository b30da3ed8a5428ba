// After a box's devcontainer step: did its inner engine start from its pool's prepared state, and was that
// state made from the config the box has? Fresh: said (an info line). Stale (the config changed since): a warning
// that names the fix, since such a box pays for the images again. None: today's path, nothing to say.
import type { Host } from '../../ports/host.js';
import type { ImageSource } from '../../ports/image-source.js';
import type { Reporter } from '../../ports/reporter.js';
import { preparedConfigHash, preparedUse, type PreparedUse } from '../boxes/prepared.js';
import { boxConfigObjects, READ_MARKER } from './prepare-scripts.js';

export interface PreparedUseDeps {
  images: ImageSource;
  preloadImages: readonly string[];
  cliVersion: string;
  reporter: Reporter;
}

/** The config hash of the box's checkout, as `cac pool prepare` computes it. */
export async function boxConfigHash(deps: Omit<PreparedUseDeps, 'reporter'>, host: Host, folder: string, signal: AbortSignal): Promise<string> {
  const [configObjects, preloads] = await Promise.all([boxConfigObjects(host, folder, signal), preloadIds(deps, signal)]);
  return preparedConfigHash({ configObjects, cliVersion: deps.cliVersion, preloads });
}

/** `[boxes] preload_images` as `name@id` (an image missing here counts as its name alone). */
export async function preloadIds(deps: Pick<PreparedUseDeps, 'images' | 'preloadImages'>, signal: AbortSignal): Promise<string[]> {
  return Promise.all(deps.preloadImages.map(async (name) => `${name}@${(await deps.images.imageId(name, { signal })) ?? ''}`));
}

export async function reportPreparedUse(deps: PreparedUseDeps, host: Host, boxId: string, folder: string, signal: AbortSignal): Promise<PreparedUse> {
  const raw = (await host.exec(['sh', '-c', READ_MARKER], { signal })).stdout.trim();
  let marker: Record<string, unknown> | undefined;
  try {
    marker = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
  } catch {
    marker = undefined;
  }
  const use = preparedUse(marker, await boxConfigHash(deps, host, folder, signal));
  if (use.use === 'fresh') deps.reporter.emit({ type: 'info', message: `box ${boxId}: devcontainer from the pool's prepared images (prepared ${new Date(use.preparedAt).toISOString()})` });
  if (use.use === 'stale') {
    deps.reporter.emit({
      type: 'warning',
      message: `box ${boxId}: the pool's prepared images (${use.preparedHash}) are for another devcontainer config; the box built its own`,
      hint: "run 'cac pool prepare' (from cron, or after changing .devcontainer)",
    });
  }
  return use;
}
