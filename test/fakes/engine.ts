// An in-memory DevcontainerEngine (our port) for unit tests of core/lifecycle.
import { GENERATED_LABEL, type ContainerInfo, type DevcontainerEngine, type UpOptions, type UpResult, type WorkspaceRef } from '../../src/ports/engine.js';
import { CacError, interrupted } from '../../src/errors.js';

export class FakeEngine implements DevcontainerEngine {
  containers = new Map<string, ContainerInfo>();
  calls: string[] = [];
  /** Make the next up() fail with this error after creating the container. */
  failUpWith: Error | undefined;
  private next = 1;

  async find(ws: WorkspaceRef): Promise<ContainerInfo | undefined> {
    this.calls.push('find');
    return [...this.containers.values()].find((c) => c.workspace === ws.folder);
  }

  async up(ws: WorkspaceRef, opts: UpOptions = {}): Promise<UpResult> {
    const mounts = (await opts.mounts) ?? [];
    this.calls.push(`up${opts.removeExisting ? ':remove' : ''}${opts.buildNoCache ? ':nocache' : ''}${opts.expectExisting ? ':expect' : ''}${mounts.map((m) => ` --mount ${m}`).join('')}`);
    let c = await this.find(ws);
    let action: UpResult['action'] = c ? (c.running ? 'reused' : 'started') : 'created';
    if (c && opts.removeExisting) {
      this.containers.delete(c.id);
      c = undefined;
      action = 'created';
    }
    if (!c) {
      c = { id: `c${this.next++}`, state: 'running', running: true, image: 'img', createdAt: new Date().toISOString(), workspace: ws.folder, configFile: ws.configFile, remoteUser: 'dev' };
      if (ws.labels?.includes(GENERATED_LABEL)) c.generatedConfig = true;
      this.containers.set(c.id, c);
    }
    opts.onEvent?.({ type: 'step.start', id: 'start', title: 'Starting container' });
    if (this.failUpWith) {
      const e = this.failUpWith;
      throw action === 'created' && e instanceof CacError ? new CacError(e.code, e.message, { details: { createdContainer: true } }) : e;
    }
    if (opts.signal?.aborted) throw interrupted();
    c.state = 'running';
    c.running = true;
    opts.onEvent?.({ type: 'step.ok', id: 'start' });
    return { action, containerId: c.id, remoteUser: 'dev', remoteWorkspaceFolder: '/workspaces/w' };
  }

  async stop(id: string): Promise<void> {
    this.calls.push(`stop:${id}`);
    const c = this.containers.get(id);
    if (c) Object.assign(c, { state: 'exited', running: false });
  }

  async remove(id: string, opts: { volumes?: boolean } = {}): Promise<void> {
    this.calls.push(`remove:${id}${opts.volumes ? ':volumes' : ''}`);
    this.containers.delete(id);
  }

  async exec(_ws: WorkspaceRef, argv: readonly string[]) {
    this.calls.push(`exec:${argv.join(' ')}`);
    return { exitCode: Number(argv.at(-1)) || 0, stdout: '', stderr: '' };
  }

  async list(opts: { all?: boolean } = {}): Promise<ContainerInfo[]> {
    return [...this.containers.values()].filter((c) => opts.all || c.running);
  }

  async ping(): Promise<string> {
    return '20.10';
  }
}
