// A plain description of the commander tree, read by the three shell generators.
import type { CommandUnknownOpts as Command, Option } from '@commander-js/extra-typings';

interface OptionSpec {
  long: string;
  short: string | undefined;
  description: string;
  takesValue: boolean;
  choices: string[];
}

export interface CommandSpec {
  /** Path from the root, e.g. ['box', 'request']; [] for the program itself. */
  path: string[];
  description: string;
  options: OptionSpec[];
  /** Choices of the first positional argument (e.g. completion <shell>). */
  argChoices: string[];
  commands: CommandSpec[];
}

function optionSpec(o: Option): OptionSpec | undefined {
  if (!o.long || o.hidden) return undefined;
  return {
    long: o.long,
    short: o.short,
    description: o.description,
    takesValue: o.required || o.optional,
    choices: o.argChoices ?? [],
  };
}

export function specOf(cmd: Command, path: string[] = []): CommandSpec {
  const args = (cmd as Command & { registeredArguments?: ReadonlyArray<{ argChoices?: string[] }> }).registeredArguments ?? [];
  return {
    path,
    description: cmd.description(),
    options: [...cmd.options.map(optionSpec), ...(path.length === 0 ? [helpOption()] : [])].filter((o): o is OptionSpec => o !== undefined),
    argChoices: args[0]?.argChoices ?? [],
    // hidden commands (internal workers) are not offered
    commands: cmd.commands.filter((c) => !(c as Command & { _hidden?: boolean })._hidden).map((c) => specOf(c, [...path, c.name()])),
  };
}

function helpOption(): OptionSpec {
  return { long: '--help', short: '-h', description: 'show help', takesValue: false, choices: [] };
}

/** Every command in the tree, depth first, the root first. */
export function flatten(spec: CommandSpec): CommandSpec[] {
  return [spec, ...spec.commands.flatMap(flatten)];
}
