// The AppContext of a library caller: no terminal, no flags. The same context the CLI builds (config
// loaded once, a LocalHost with the allow-listed environment, the state dir), but its reporter is silent
// unless the caller gives one, and nothing is ever written to stdout or stderr.
import { Readable, Writable } from 'node:stream';
import { loadConfig, type LoadedConfig } from '../../config/load.js';
import { configFromObject } from '../../config/parse.js';
import { LocalHost } from '../../adapters/host/local.js';
import { silentReporter, type Reporter } from '../../ports/reporter.js';
import { localChildEnv } from '../../util/child-env.js';
import { configFilePath, stateDir as defaultStateDir } from '../../util/paths.js';
import type { AppContext } from '../context.js';

/** Where a library entry takes its settings from; every field is optional. */
export interface LibraryOptions {
  /** A config file path, or the config itself with the file's keys (`{ boxes: { driver: 'docker' } }`); default: the CLI's file ($CAC_CONFIG, else ~/.config/cac/config.toml). */
  config?: string | object;
  /** cac's state dir (the SQLite store, its SSH key pair, logs); default $XDG_STATE_HOME/cac. */
  stateDir?: string;
  /** The environment cac reads (CAC_MASTER_KEY, DOCKER_HOST, …); default process.env. */
  env?: Record<string, string | undefined>;
  /** Hears progress and warnings; default: silent (the library prints nothing). */
  reporter?: Reporter;
  /** Aborts what is in flight (a wait for a box, a reconcile). */
  signal?: AbortSignal;
}

/** The library's AppContext: the CLI's wiring functions take it unchanged. */
export function libraryContext(opts: LibraryOptions = {}): AppContext {
  const env = opts.env ?? process.env;
  const reporter = opts.reporter ?? silentReporter;
  const childEnv = localChildEnv(env);
  const configFile = typeof opts.config === 'string' ? opts.config : configFilePath(env);
  const given = opts.config;
  let loaded: Promise<LoadedConfig> | undefined;
  const nowhere = new Writable({ write: (_chunk, _enc, done) => done() });
  return {
    stdio: { stdin: Readable.from([]), stdout: nowhere, stderr: nowhere, env },
    env,
    output: { json: false, quiet: true, verbose: false, color: false },
    reporter,
    signal: opts.signal ?? new AbortController().signal,
    configFile,
    stateDir: opts.stateDir ?? defaultStateDir(env),
    childEnv,
    host: new LocalHost({ env: childEnv }),
    config() {
      loaded ??= (given !== undefined && typeof given === 'object' ? Promise.resolve().then(() => configFromObject(given)) : loadConfig(configFile)).then((c) => {
        for (const w of c.warnings) reporter.emit({ type: 'warning', message: `${c.file}${w.line ? `:${w.line}` : ''}: ${w.message}` });
        return c;
      });
      return loaded;
    },
    // a library caller gets results as return values, never printed
    result() {},
  };
}
