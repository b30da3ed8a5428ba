// The box image: what docker-driver boxes run. Its default name carries cac's version, so an upgrade
// of cac points at the image its own recipe builds (`cac box image build`).

/** The repository of the box image `cac box image build` makes by default. */
const BOX_IMAGE_REPOSITORY = 'cac/box';

/** The labels of a built box image: the recipe hash, and how it was built (`dockerfile` or `rootfs`). */
export const RECIPE_LABEL = 'cac.recipe';
export const RECIPE_SOURCE_LABEL = 'cac.recipe.source';

/** The default `[boxes.docker] image` of a cac version: `cac/box:<version>`. */
export function productBoxImage(version: string): string {
  return `${BOX_IMAGE_REPOSITORY}:${version.replace(/[^A-Za-z0-9_.-]/g, '-')}`;
}

// [registry[:port]/]path[:tag]: docker's reference grammar without digests (a build names a tag).
const IMAGE_REF = /^(?:[a-z0-9.-]+(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$/;

/** An image name a build may tag: docker's grammar (lower-case path, optional registry and tag). */
export function isImageTag(ref: string): boolean {
  return ref.length <= 255 && IMAGE_REF.test(ref);
}
