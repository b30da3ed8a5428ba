// `box request --env-file`: the requester's encrypted .env, checked before any claim (it must be an
// envelope that decrypts with the loaded keys), and the after-claim steps that write it.
import { readFile } from 'node:fs/promises';
import { CacError } from '../../errors.js';
import type { AppContext } from '../../app/context.js';
import { afterClaimSteps } from '../../app/boxes.js';
import type { Config } from '../../config/schema.js';
import type { ProvisionStep } from '../../core/boxes/provision.js';

export interface RequestEnv {
  /** The encrypted payload for the allocator (a cold box's worker gets it on stdin). */
  envPayload?: string;
  /** After a warm claim: switch to the requested branch, write the .env. */
  afterClaim: ProvisionStep[];
  /** Closes the SSH connections the after-claim steps opened. */
  close(): Promise<void>;
}

export async function requestEnv(ctx: AppContext, config: Config, file: string | undefined): Promise<RequestEnv> {
  const env = file === undefined ? undefined : await envFile(ctx, config, file);
  const after = await afterClaimSteps(ctx, config, env ? { env: env.injector } : {});
  return { ...(env ? { envPayload: env.envelope } : {}), afterClaim: after.steps, close: after.close };
}

async function envFile(ctx: AppContext, config: Config, file: string) {
  if (config.boxes.provision === 'vm') {
    throw new CacError('ERR_INVALID_INPUT', '--env-file: boxes get no .env with [boxes] provision = "vm" (there is no checkout to write it into)', {
      hint: 'set [boxes] provision = "full", or drop --env-file',
    });
  }
  const raw = await readFile(file).catch((e: NodeJS.ErrnoException) => {
    throw new CacError('ERR_INVALID_INPUT', `--env-file: cannot read ${file} (${e.code ?? e.message})`, { hint: 'check the path' });
  });
  const { boxEnv } = await import('../../app/secrets.js');
  return boxEnv(ctx, raw, `--env-file: ${file}`);
}
