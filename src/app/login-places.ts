// Which recorded containers and boxes are live (token forks, core/agents/forks.ts): local containers
// asked of the local engine, boxes of the box store (opened read-only when first needed and closed
// again, unless the caller's store is given). The record of a box the store reports destroyed is
// removed here: that place is gone for good.
import { rm } from 'node:fs/promises';
import type { Config } from '../config/schema.js';
import { RELEASED_STATES } from '../domain/box.js';
import { isAbortError } from '../errors.js';
import type { BoxStore } from '../ports/box-store.js';
import type { PlaceChecks } from '../core/agents/deps.js';
import { boxRecordPath } from '../core/agents/record.js';
import { DockerCli } from '../adapters/engine/docker-cli.js';
import { engineEnv } from './engine.js';
import type { AppContext } from './context.js';

export function placeChecks(ctx: AppContext, config: Config, store?: BoxStore): PlaceChecks {
  return {
    async runningContainers(ids) {
      if (ids.length === 0) return new Set();
      const docker = new DockerCli({ host: ctx.host, dockerPath: config.engine.docker_path, env: engineEnv(config, ctx.env) });
      try {
        const running = await docker.ids([], false, ctx.signal);
        return new Set(ids.filter((id) => running.some((r) => r.startsWith(id) || id.startsWith(r))));
      } catch (e) {
        if (isAbortError(e)) throw e;
        return new Set();
      }
    },
    async liveBoxes(ids) {
      if (ids.length === 0) return new Set();
      const { openStore } = await import('./boxes.js');
      const opened = store ?? (await openStore(config, ctx.stateDir, { readOnly: true }).catch(() => undefined));
      // a store that cannot be read: every recorded box may still hold its login
      if (!opened) return new Set(ids);
      try {
        const live = new Set<string>();
        for (const id of ids) {
          const box = await opened.get(id);
          if (box && !RELEASED_STATES.includes(box.state)) live.add(id);
          if (box?.state === 'destroyed') await rm(boxRecordPath(ctx.stateDir, id), { force: true });
        }
        return live;
      } catch (e) {
        if (isAbortError(e)) throw e;
        return new Set(ids);
      } finally {
        if (!store) await opened.close();
      }
    },
  };
}
