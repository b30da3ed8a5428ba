// EnvInjector (seed name): the requester's encrypted .env, decrypted only in memory, written through the
// SSH exec's stdin to `<checkout>/.env` (umask 077, temp file renamed, 0600, owned by the box user); the
// plaintext buffer is zeroed after. It never reaches argv, the store, a log or an error message.
import { CacError } from '../../errors.js';
import { looksLikeEnvelope } from '../secrets/envelope.js';
import type { Host } from '../../ports/host.js';
import type { ProvisionStep } from './pipeline.js';
import { requireCheckout } from './box-workspace.js';
import type { BoxConnections } from './connections.js';
import { ENV_NOT_REGULAR_EXIT, WRITE_ENV } from './repo-scripts.js';

/** What the injector needs of the EncryptionService: decrypt into a Buffer that is zeroed after `fn`. */
export interface Decrypter {
  withDecrypted<T>(envelope: string, fn: (plaintext: Buffer) => T | Promise<T>): Promise<T>;
}

/** Writes the requester's encrypted .env into a box's checkout, decrypted only in memory. */
export class EnvInjector {
  private readonly encryption: Decrypter;

  /** Takes the EncryptionService (or any Decrypter), bare or as `{ encryption }`. */
  constructor(encryption: Decrypter | { encryption: Decrypter }) {
    this.encryption = 'withDecrypted' in encryption ? encryption : encryption.encryption;
  }

  /**
   * Checks a payload before any box is claimed for it: an envelope (a plaintext .env is refused, never
   * shown) that decrypts with the loaded keys. `what` names it in messages.
   */
  async check(payload: string, what: string): Promise<void> {
    if (!looksLikeEnvelope(payload.slice(0, 64))) throw notEncrypted(what);
    await this.encryption.withDecrypted(payload.trim(), () => undefined);
  }

  /** Decrypts `envelope` in memory and writes it to `<folder>/.env` on `host`. */
  async write(host: Host, folder: string, envelope: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    await this.encryption.withDecrypted(envelope, async (plaintext) => {
      const r = await host.exec(['sh', '-c', WRITE_ENV, 'sh', folder], { stdin: plaintext, timeoutMs: 60_000, ...(opts.signal ? { signal: opts.signal } : {}) });
      // the script never echoes its input: its stderr names only a failing command
      if (r.exitCode !== 0) {
        const why = r.stderr.trim().split('\n').pop() ?? '';
        const hint =
          r.exitCode === ENV_NOT_REGULAR_EXIT
            ? 'the repository commits .env as a link or a directory: remove it from the repository (cac writes .env itself)'
            : "check the box's disk and the checkout folder";
        throw new CacError('ERR_ENV_WRITE', `writing .env into ${folder} on the box failed (exit ${r.exitCode})${why ? `: ${why}` : ''}`, { hint });
      }
    });
  }
}

/** ERR_INVALID_INPUT for a payload that is not an envelope (a plaintext .env is never sent, nor shown). */
export function notEncrypted(what: string): CacError {
  return new CacError('ERR_INVALID_INPUT', `${what} is not an encrypted payload`, {
    hint: 'encrypt the .env first: cac env encrypt --in .env --out .env.cac (cac never sends a plaintext .env)',
  });
}

/** The `env` step: runs only when the requester gave an encrypted .env (`ctx.envPayload`). */
export function envStep(deps: { connections: BoxConnections; injector: EnvInjector }): ProvisionStep {
  return {
    name: 'env',
    skip: (ctx) => ctx.envPayload === undefined,
    async run(ctx) {
      const ws = requireCheckout(ctx.box);
      await deps.injector.write(await deps.connections.get(ctx.box), ws.folder, ctx.envPayload ?? '', { signal: ctx.signal });
    },
  };
}
