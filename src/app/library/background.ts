// Cold boxes provisioned in the library caller's own process: `requestBox` returns at once and the box's
// pipeline runs here in the background (the CLI spawns a detached worker instead; a library user has no
// bin/cac to spawn). A failed box records why on itself; anything else goes to the reporter, never a print.
import type { Box } from '../../domain/box.js';
import { provisionBox, type ProvisionDeps } from '../../core/provision/pipeline.js';
import type { Reporter } from '../../ports/reporter.js';

export class BackgroundProvisioning {
  private readonly running = new Set<Promise<void>>();

  /** `deps` is made on the first cold box (cac's key pair, the steps), then kept. */
  constructor(
    private readonly deps: () => Promise<ProvisionDeps>,
    private readonly reporter: Reporter,
  ) {}

  /** AllocatorDeps.startProvisioning: resolves once the pipeline is under way (its wiring failures reject). */
  readonly start = async (box: Box, opts: { envPayload?: string }): Promise<void> => {
    const deps = await this.deps();
    const run: Promise<void> = provisionBox(deps, box.id, opts.envPayload !== undefined ? { envPayload: opts.envPayload } : {})
      .then((r) => {
        if (r.outcome === 'failed') this.reporter.emit({ type: 'warning', message: `box ${box.id} failed: ${r.error}`, hint: `see its steps with 'cac box show ${box.id}'` });
      })
      .catch((e: unknown) => {
        // the box stays in flight; the reconcile fails it at its deadline
        this.reporter.emit({ type: 'warning', message: `box ${box.id}: provisioning stopped: ${e instanceof Error ? e.message : String(e)}` });
      })
      .finally(() => this.running.delete(run));
    this.running.add(run);
  };

  /** Resolves when every pipeline started here has ended. */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running]);
  }
}
