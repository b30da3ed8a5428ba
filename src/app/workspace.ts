// Which local workspace a command acts on: the folder's devcontainer.json, or, for a folder without one,
// the config cac generated for it in the state dir (`--image`, `[local] default_image`).
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { WorkspaceRef } from '../ports/engine.js';
import { chooseWorkspace } from '../core/lifecycle/default-image.js';
import { localFiles } from '../adapters/engine/local-files.js';
import type { AppContext } from './context.js';

/** Which workspace: its folder (default: the current directory), optionally its devcontainer.json or an image. */
export interface WorkspaceInput {
  folder?: string | undefined;
  configFile?: string | undefined;
  /** --image (validated): the image of a folder without a devcontainer configuration. */
  image?: string | undefined;
}

const NO_CONFIG_HINT = "create .devcontainer/devcontainer.json, pass --config-file, or start the folder from an image: 'cac up --image <ref>' (or set [local] default_image)";

/**
 * Where the config generated for `folder` lives: `$XDG_STATE_HOME/cac/workspaces/<name>-<hash of the path>/`.
 * Its path is one of the container's id labels, so it stays put for as long as the folder does.
 */
export function generatedConfigPath(stateDir: string, folder: string): string {
  const name =
    basename(folder)
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .replace(/^[.-]+/, '') || 'workspace';
  const hash = createHash('sha256').update(folder).digest('hex').slice(0, 12);
  return join(stateDir, 'workspaces', `${name}-${hash}`, 'devcontainer.json');
}

/** The workspace of `input`; `write`: the command makes a container, so a generated config is written (or updated) first. */
export async function localWorkspace(ctx: AppContext, config: Config, input: WorkspaceInput, write: boolean): Promise<WorkspaceRef> {
  const { ref, imageIgnored, replacedImage } = await chooseWorkspace(localFiles, input.folder ?? process.cwd(), {
    configFile: input.configFile,
    image: input.image,
    defaultImage: config.local.default_image,
    generatedFile: (folder) => generatedConfigPath(ctx.stateDir, folder),
    write,
    hint: NO_CONFIG_HINT,
  });
  if (imageIgnored)
    ctx.reporter.emit({ type: 'warning', message: `--image is not used: ${ref.configFile} configures the workspace`, hint: 'drop --image, or remove the folder’s devcontainer configuration' });
  if (replacedImage) {
    ctx.reporter.emit({
      type: 'warning',
      message: `${ref.folder} now runs in ${ref.generatedImage} (was ${replacedImage}): a container made from ${replacedImage} keeps it`,
      hint: `make it from the new image: 'cac rebuild ${ref.folder}'`,
    });
  }
  return ref;
}
