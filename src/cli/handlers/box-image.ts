// box image build | status: flags (validated here) → app → exit code. Progress on stderr; stdout holds
// the tag (or the --json document).
import { CacError, EXIT } from '../../errors.js';
import { isImageTag } from '../../domain/box-image.js';
import { boxImageStatus, buildBoxImage } from '../../app/use-cases/box-image.js';
import type { Handler } from '../action.js';

function tagOf(tag: string | undefined): string | undefined {
  if (tag !== undefined && !isImageTag(tag)) {
    throw new CacError('ERR_USAGE', `--tag: not an image name: ${JSON.stringify(tag)}`, { hint: 'lower-case [registry/]path[:tag], e.g. --tag cac/box:dev' });
  }
  return tag;
}

export const build: Handler<[], { tag?: string | undefined; fromRootfs?: true | undefined; force?: true | undefined }> = async (ctx, { opts }) => {
  const doc = await buildBoxImage(ctx, { tag: tagOf(opts.tag), fromRootfs: opts.fromRootfs === true, force: opts.force === true });
  ctx.result(doc, doc.tag);
  return EXIT.ok;
};

export const status: Handler<[], { tag?: string | undefined; fromRootfs?: true | undefined }> = async (ctx, { opts }) => {
  const doc = await boxImageStatus(ctx, { tag: tagOf(opts.tag), fromRootfs: opts.fromRootfs === true });
  ctx.result(doc, `${doc.tag} ${doc.state}`);
  return EXIT.ok;
};
