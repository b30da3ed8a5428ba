import { describe, expect, it } from 'vitest';
import { FakeEngine } from '../../fakes/engine.js';
import { up, start, rebuild } from '../../../src/core/lifecycle/up.js';
import { stop, down } from '../../../src/core/lifecycle/stop.js';
import { exec, list } from '../../../src/core/lifecycle/exec.js';
import type { LifecycleDeps } from '../../../src/core/lifecycle/types.js';
import { recordingReporter } from '../../fakes/reporter.js';
import { CacError } from '../../../src/errors.js';
import type { AgentResult } from '../../../src/core/agents/result.js';

const ws = { folder: '/w', configFile: '/w/.devcontainer/devcontainer.json' };

function setup(extra: Partial<LifecycleDeps> = {}) {
  const engine = new FakeEngine();
  const { reporter, events } = recordingReporter();
  let t = 1000;
  const deps: LifecycleDeps = { engine, reporter, now: () => (t += 10), ...extra };
  return { engine, events, deps };
}

describe('up', () => {
  it('says created, then reused, then started after a stop', async () => {
    const { deps } = setup();
    expect((await up(deps, ws)).action).toBe('created');
    const again = await up(deps, ws);
    expect(again).toMatchObject({ action: 'reused', remoteUser: 'dev', remoteWorkspaceFolder: '/workspaces/w', workspace: '/w', agents: [] });
    await stop(deps, ws);
    expect((await up(deps, ws)).action).toBe('started');
  });

  it('forwards engine steps to the reporter', async () => {
    const { deps, events } = setup();
    await up(deps, ws);
    expect(events).toContainEqual({ type: 'step.start', id: 'start', title: 'Starting container' });
  });

  it('removes the container an interrupted or failed create left behind', async () => {
    const { deps, engine, events } = setup();
    engine.failUpWith = new CacError('ERR_INTERRUPTED', 'interrupted');
    await expect(up(deps, ws)).rejects.toMatchObject({ code: 'ERR_INTERRUPTED' });
    expect(engine.containers.size).toBe(0);
    expect(engine.calls).toContain('remove:c1:volumes');
    expect(events.at(-1)).toMatchObject({ type: 'info', message: 'removed the interrupted container c1' });
  });

  it('never removes a container that existed before a failed up', async () => {
    const { deps, engine } = setup();
    await up(deps, ws);
    engine.failUpWith = new CacError('ERR_DEVCONTAINER_UP', 'boom');
    await expect(up(deps, ws)).rejects.toMatchObject({ code: 'ERR_DEVCONTAINER_UP' });
    expect(engine.containers.size).toBe(1);
  });

  it('runs agent injection after up with the start event, unless --no-agents', async () => {
    const seen: string[] = [];
    const result: AgentResult = { agent: 'codex', status: 'ok', validated: true, copied: ['/home/dev/.codex/auth.json'], installed: false, warnings: [] };
    const { deps } = setup({ agents: async (target, event) => (seen.push(`${event}:${target.containerId}:${target.workspace}`), [result]) });
    expect((await up(deps, ws)).agents).toEqual([result]);
    expect(seen).toEqual(['start:c1:/w']);
    expect((await up(deps, ws, { noAgents: true })).agents).toEqual([]);
    await rebuild(deps, ws);
    expect(seen.at(-1)).toMatch(/^rebuild:/);
  });

  it('starts loading injection at the first engine event, while the engine works; not with --no-agents', async () => {
    const order: string[] = [];
    const { deps, engine } = setup({ agents: async () => (order.push('inject'), []), loadAgents: () => order.push('load') });
    const engineUp = engine.up.bind(engine);
    engine.up = (w, o) => engineUp(w, { ...o, onEvent: (e) => (o?.onEvent?.(e), order.push(e.type)) });
    await up(deps, ws);
    expect(order).toEqual(['load', 'step.start', 'step.ok', 'inject']);
    order.length = 0;
    await up(deps, ws, { noAgents: true });
    expect(order).toEqual(['step.start', 'step.ok']);
  });

  it('plans the agent mounts while the engine looks for a container to reuse, and waits for them before returning', async () => {
    let release: (m: string[]) => void = () => {};
    const planned = new Promise<string[]>((r) => (release = r));
    let entered = false;
    const { deps, engine } = setup({ agents: async () => [], agentMounts: () => planned });
    const engineUp = engine.up.bind(engine);
    engine.up = (w, o) => ((entered = true), engineUp(w, o));
    const running = up(deps, ws);
    await new Promise((r) => setTimeout(r, 10));
    expect(entered).toBe(true);
    release(['type=volume,src=v,dst=/v']);
    expect((await running).action).toBe('created');
    expect(engine.calls).toContain('up --mount type=volume,src=v,dst=/v');
  });
});

describe('start, rebuild', () => {
  it('start without a container is ERR_NO_CONTAINER with a cac up hint', async () => {
    const { deps } = setup();
    const e = await start(deps, ws).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CacError);
    expect(e).toMatchObject({ code: 'ERR_NO_CONTAINER', hint: "create it with 'cac up /w'" });
  });

  it('start of a stopped container expects it to exist', async () => {
    const { deps, engine } = setup();
    await up(deps, ws);
    await stop(deps, ws);
    expect((await start(deps, ws)).action).toBe('started');
    expect(engine.calls).toContain('up:expect');
  });

  it('rebuild removes and recreates, honouring --no-cache', async () => {
    const { deps, engine } = setup();
    const first = await up(deps, ws);
    const second = await rebuild(deps, ws, { noCache: true });
    expect(second.action).toBe('rebuilt');
    expect(second.containerId).not.toBe(first.containerId);
    expect(engine.calls).toContain('up:remove:nocache');
  });
});

describe('stop, down', () => {
  it('are idempotent with a clear nothing-to-do outcome', async () => {
    const { deps, engine } = setup();
    expect(await stop(deps, ws)).toMatchObject({ action: 'none', message: 'nothing to stop: no container', containerId: null });
    expect(await down(deps, ws)).toMatchObject({ action: 'none', message: 'nothing to remove: no container' });
    await up(deps, ws);
    expect((await stop(deps, ws)).action).toBe('stopped');
    expect((await stop(deps, ws)).message).toBe('nothing to stop: the container is not running');
    expect((await down(deps, ws, { volumes: true })).action).toBe('removed');
    expect(engine.calls).toContain('remove:c1:volumes');
    expect(engine.containers.size).toBe(0);
  });

  it('sync back credentials before stopping a running container', async () => {
    const order: string[] = [];
    const { deps, engine } = setup({ syncBack: async () => (order.push('sync'), ['/h/.codex/auth.json']) });
    await up(deps, ws);
    const origStop = engine.stop.bind(engine);
    engine.stop = async (id) => (order.push('stop'), origStop(id));
    expect((await stop(deps, ws)).syncedBack).toEqual(['/h/.codex/auth.json']);
    expect(order).toEqual(['sync', 'stop']);
  });
});

describe('exec, list', () => {
  it('needs a command and a running container', async () => {
    const { deps, engine } = setup();
    await expect(exec(engine, ws, [])).rejects.toMatchObject({ code: 'ERR_USAGE' });
    await expect(exec(engine, ws, ['true'])).rejects.toMatchObject({ code: 'ERR_NO_CONTAINER' });
    await up(deps, ws);
    await stop(deps, ws);
    await expect(exec(engine, ws, ['true'])).rejects.toMatchObject({ code: 'ERR_CONTAINER_STOPPED', hint: "start it with 'cac start /w'" });
    await start(deps, ws);
    expect(await exec(engine, ws, ['sh', '-c', 'exit', '7'])).toBe(7);
  });

  it('lists running containers, all with --all, with their age', async () => {
    const { deps, engine } = setup();
    await up(deps, ws);
    await up(deps, { folder: '/v', configFile: '/v/.devcontainer.json' });
    await stop(deps, ws);
    const now = Date.now() + 5000;
    expect((await list(engine, now)).map((c) => c.workspace)).toEqual(['/v']);
    const all = await list(engine, now, { all: true });
    expect(all.map((c) => c.state).sort()).toEqual(['exited', 'running']);
    expect(all[0]?.ageMs).toBeGreaterThanOrEqual(4000);
  });
});
