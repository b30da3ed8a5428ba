// The library's public API: the same operations the CLI runs, with typed options and results.
export { CacError, EXIT, isCacError, type ErrorCode, type CacErrorOptions } from './errors.js';
export { VERSION } from './version.js';
export { loadConfig, parseConfig, type LoadedConfig, type ConfigWarning } from './config/load.js';
export { configSchema, defaultConfig, type Config, type AgentConfig, type PoolConfig, type FleetHostConfig } from './config/schema.js';
export { AGENT_KINDS, BOX_DRIVERS, type AgentKind, type BoxDriverName } from './config/kinds.js';
export { configFilePath, stateDir } from './util/paths.js';
export { quote, quoteArgv, sh } from './util/shell.js';
export type { Host, ExecOptions, ExecResult } from './ports/host.js';
export type { Reporter, ReporterEvent } from './ports/reporter.js';
export { silentReporter } from './ports/reporter.js';
export { LocalHost } from './adapters/host/local.js';
export { runDoctor, doctorExitCode, type DoctorCheck } from './core/doctor/checks.js';
