// agents cache list | warm | prune: flags → app → exit code. Human lines go to stderr (the reporter);
// stdout carries only the --json document.
import { CacError, EXIT } from '../../errors.js';
import type { AgentKind } from '../../domain/kinds.js';
import { listAgentCache, pruneAgentCache, warmAgentCache } from '../../app/use-cases/agents-cache.js';
import type { Handler } from '../action.js';

// an image reference as docker reads it; never an option (a leading '-')
const IMAGE = /^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}$/;

export const list: Handler = async (ctx) => {
  const doc = await listAgentCache(ctx);
  ctx.result(doc);
  return EXIT.ok;
};

export const warm: Handler<[], { agent?: AgentKind[] | undefined; image?: string | undefined; refresh?: true | undefined }> = async (ctx, { opts }) => {
  if (opts.image !== undefined && !IMAGE.test(opts.image)) {
    throw new CacError('ERR_USAGE', `--image: not an image reference: ${JSON.stringify(opts.image)}`, { hint: 'e.g. --image node:20-bookworm-slim' });
  }
  const doc = await warmAgentCache(ctx, { only: opts.agent, image: opts.image, refresh: opts.refresh === true });
  ctx.result(doc);
  return doc.outcome === 'warnings' ? EXIT.warnings : EXIT.ok;
};

export const prune: Handler<[], { all?: true | undefined }> = async (ctx, { opts }) => {
  const doc = await pruneAgentCache(ctx, { all: opts.all === true });
  ctx.result(doc);
  return EXIT.ok;
};
