// Completion scripts generated from the same commander program users run.
import type { CommandUnknownOpts as Command } from '@commander-js/extra-typings';
import { specOf } from './spec.js';
import { bashScript } from './bash.js';
import { zshScript } from './zsh.js';
import { fishScript } from './fish.js';

export type Shell = 'bash' | 'zsh' | 'fish';

export function completionScript(program: Command, shell: Shell): string {
  const spec = specOf(program);
  return shell === 'bash' ? bashScript(spec) : shell === 'zsh' ? zshScript(spec) : fishScript(spec);
}

/** Where each script is committed in the repo (a unit test keeps them in sync). */
export const COMPLETION_FILES: Record<Shell, string> = { bash: 'completions/cac.bash', zsh: 'completions/_cac', fish: 'completions/cac.fish' };
