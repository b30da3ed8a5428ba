// Doctor's `box image` row (docker driver): the configured image is there and built from the recipe
// this cac ships, or how to build it.
import type { Config } from '../config/schema.js';
import type { DoctorCheck } from '../core/doctor/checks.js';
import { boxImageState, type BoxImageSource } from '../core/boxes/box-image.js';
import { BoxImageEngine } from '../adapters/engine/box-image.js';
import type { Host } from '../ports/host.js';
import { currentRecipeHash } from './box-image.js';
import { engineEnv } from './engine.js';

const ROW = 'box image';

export async function probeBoxImage(config: Config, deps: { host: Host; env: Record<string, string | undefined>; signal?: AbortSignal }): Promise<DoctorCheck[]> {
  if (config.boxes.driver !== 'docker') return [];
  const tag = config.boxes.docker.image;
  const engine = new BoxImageEngine({ host: deps.host, dockerPath: config.engine.docker_path, env: engineEnv(config, deps.env), ...(deps.signal ? { signal: deps.signal } : {}), log: () => {} });
  try {
    const image = await engine.inspect(tag);
    if (!image) {
      return [{ name: ROW, status: 'error', detail: `${tag} missing`, hint: "build it: 'cac box image build' (a registry reachable), or as root on Debian 'cac box image build --from-rootfs'" }];
    }
    if (!image.recipe || (image.source !== 'rootfs' && image.source !== 'dockerfile')) return [{ name: ROW, status: 'ok', detail: `${tag} present (not built by cac box image build)` }];
    const source: BoxImageSource = image.source;
    const hash = await currentRecipeHash(source, deps.env);
    if (boxImageState(image, hash) === 'current') return [{ name: ROW, status: 'ok', detail: `${tag} present, recipe ${hash.slice(0, 12)} (${source})` }];
    return [
      {
        name: ROW,
        status: 'warning',
        detail: `${tag} was built from another recipe or host setup than this cac's`,
        hint: `rebuild it: 'cac box image build${source === 'rootfs' ? ' --from-rootfs' : ''}'`,
      },
    ];
  } catch (e) {
    return [{ name: ROW, status: 'warning', detail: `not checked: ${e instanceof Error ? (e.message.split('\n')[0] ?? '') : String(e)}` }];
  }
}
