// The SSH identity cac logs in to boxes with (README "Several hosts, one pool"). With the SQLite store
// (one host) it is the state dir's key pair (ssh-key.ts). With a shared store (Redis) any host must reach
// any box, so the pair is the fleet's: made once by the first host that needs it, kept in the store as an
// envelope under the master key (core/secrets, as `.env` payloads), read back by every host holding that
// key. The store never sees the private key in clear; pinned host keys stay the only trust in boxes.
import type { Config } from '../config/schema.js';
import { EncryptionService } from '../core/secrets/envelope.js';
import { CacError } from '../errors.js';
import type { BoxStore, SharedSecrets } from '../ports/box-store.js';
import { storeLocation } from './boxes.js';
import type { AppContext } from './context.js';
import { loadKeyRing } from './secrets.js';
import { ensureKeyPair, newKeyPair, publicKeyOf } from './ssh-key.js';

/** A private key (OpenSSH PEM) and its public line; the public half goes to every box at create. */
export interface BoxIdentity {
  privateKey: string;
  publicKey: string;
}

/** The name of the fleet key's envelope in the store. */
export const FLEET_KEY_SECRET = 'ssh-identity';

const loaded = new WeakMap<AppContext, Promise<BoxIdentity>>();

/**
 * The identity for this command's boxes, loaded once per command. `store`: an open store to read the
 * fleet key from (else a shared store is opened for the read and closed).
 */
export function boxIdentity(ctx: AppContext, config: Config, store?: BoxStore): Promise<BoxIdentity> {
  let identity = loaded.get(ctx);
  if (!identity) {
    identity = loadIdentity(ctx, config, store);
    // a failure is not kept: the next caller tries again (and gets the same clear error)
    identity.catch(() => loaded.delete(ctx));
    loaded.set(ctx, identity);
  }
  return identity;
}

async function loadIdentity(ctx: AppContext, config: Config, store: BoxStore | undefined): Promise<BoxIdentity> {
  if (storeLocation(config, ctx.stateDir).kind === 'sqlite') return ensureKeyPair(ctx.stateDir);
  const encryption = new EncryptionService(await fleetKeyRing(ctx, config));
  if (store) return fleetKeyPair(store, encryption);
  const { openStore } = await import('./boxes.js');
  const opened = await openStore(config, ctx.stateDir, { reporter: ctx.reporter });
  try {
    return await fleetKeyPair(opened, encryption);
  } finally {
    await opened.close();
  }
}

/** The master keys, or an error that says why a shared store needs them. */
async function fleetKeyRing(ctx: AppContext, config: Config) {
  try {
    return await loadKeyRing(ctx.env, config.secrets.master_key_file, ctx.configFile);
  } catch (e) {
    if (!(e instanceof CacError) || e.code !== 'ERR_NO_MASTER_KEY') throw e;
    throw new CacError(
      'ERR_NO_MASTER_KEY',
      'the box store is shared ([store] url is Redis): cac logs in to its boxes with the fleet SSH key kept there, encrypted with the master key, and no master key is configured',
      {
        hint: 'set $CAC_MASTER_KEY (or [secrets] master_key_file) to the master key the other hosts sharing this store use',
      },
    );
  }
}

/** The fleet's key pair from `store`; the first host to ask makes it (one atomic create: two at once keep one). */
export async function fleetKeyPair(store: SharedSecrets, encryption: EncryptionService): Promise<BoxIdentity> {
  let envelope = await store.getSecret(FLEET_KEY_SECRET);
  if (envelope === null) {
    const pair = await newKeyPair();
    envelope = await store.putSecretIfAbsent(FLEET_KEY_SECRET, encryption.encrypt(Buffer.from(pair.private)));
  }
  const privateKey = await encryption.withDecrypted(envelope, (plain) => plain.toString('utf8'));
  return { privateKey, publicKey: await publicKeyOf(privateKey, 'the fleet SSH key in the box store') };
}
