// Composition root: flags + environment → a Context of real adapters and a reporter. The only place
// that knows both adapters/ and core/.
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { configFilePath, stateDir } from '../util/paths.js';
import { createReporter, writeResult, type OutputOptions, type Stdio } from '../output/index.js';
import type { Reporter } from '../ports/reporter.js';
import type { GlobalOptions } from '../cli/globals.js';
import { LocalHost } from '../adapters/host/local.js';
import type { Host } from '../ports/host.js';
import { localChildEnv } from '../util/child-env.js';

export interface AppContext {
  stdio: Stdio;
  env: Record<string, string | undefined>;
  output: OutputOptions;
  reporter: Reporter;
  signal: AbortSignal;
  /** The config file in use (it may not exist). */
  configFile: string;
  stateDir: string;
  /** What every program cac runs on this machine gets of `env` (an allow-list, README "Security"). */
  childEnv: Record<string, string>;
  /** The machine cac runs on; its programs get `childEnv`. */
  host: Host;
  /** Load and validate the config once; unknown-key warnings are reported on first load. */
  config(): Promise<LoadedConfig>;
  /** Print the command's result (JSON document or human text) on stdout. */
  result(doc: object, human?: string): void;
}

export async function createContext(stdio: Stdio, globals: GlobalOptions, signal: AbortSignal): Promise<AppContext> {
  const output: OutputOptions = { json: globals.json, quiet: globals.quiet, verbose: globals.verbose, color: globals.color };
  const reporter = await createReporter(stdio, output);
  const configFile = configFilePath(stdio.env, globals.config);
  let loaded: Promise<LoadedConfig> | undefined;
  const childEnv = localChildEnv(stdio.env);
  return {
    stdio,
    env: stdio.env,
    output,
    reporter,
    signal,
    configFile,
    stateDir: stateDir(stdio.env),
    childEnv,
    host: new LocalHost({ env: childEnv }),
    config() {
      loaded ??= loadConfig(configFile).then((c) => {
        for (const w of c.warnings) {
          reporter.emit({ type: 'warning', message: `${c.file}${w.line ? `:${w.line}` : ''}: ${w.message}` });
        }
        return c;
      });
      return loaded;
    },
    result(doc, human) {
      writeResult(stdio, output, doc, human);
    },
  };
}
