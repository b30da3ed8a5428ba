// The library's public API: the same operations the CLI runs, with typed options and results.
export { CacError, EXIT, isCacError, type ErrorCode, type CacErrorOptions } from './errors.js';
export { VERSION } from './version.js';
export { loadConfig, type LoadedConfig, type ConfigWarning } from './config/load.js';
export { parseConfig } from './config/parse.js';
export { configSchema, type Config, type AgentConfig, type PoolConfig, type FleetHostConfig } from './config/schema.js';
export { defaultConfig } from './config/defaults.js';
export { AGENT_KINDS, BOX_DRIVERS, type AgentKind, type BoxDriverName } from './domain/kinds.js';
export { configFilePath, stateDir } from './util/paths.js';
export { quote, quoteArgv, sh } from './util/shell.js';
export type { Host, ExecOptions, ExecResult } from './ports/host.js';
export type { Reporter, ReporterEvent } from './ports/reporter.js';
export { silentReporter } from './ports/reporter.js';
export { LocalHost } from './adapters/host/local.js';
export { runDoctor, doctorExitCode, type DoctorCheck } from './core/doctor/checks.js';
export type { DevcontainerEngine, WorkspaceRef, ContainerInfo, UpOptions, UpResult, EngineEvent } from './ports/engine.js';
export { DevcontainerCliEngine, type DevcontainerCliEngineOptions } from './adapters/engine/devcontainer-cli.js';
export { devcontainerCli } from './adapters/engine/cli-path.js';
export { localFiles } from './adapters/engine/local-files.js';
export { resolveWorkspace, checkJsonc } from './core/lifecycle/workspace.js';
export type { WorkspaceFiles } from './ports/workspace-files.js';
export { up, start, rebuild } from './core/lifecycle/up.js';
export { stop, down } from './core/lifecycle/stop.js';
export { exec, list, type ListedContainer } from './core/lifecycle/exec.js';
export type { LifecycleResult, LifecycleAction, LifecycleDeps, LifecycleOptions } from './core/lifecycle/types.js';
export type { AgentResult, AgentStatus, ContainerTarget, AgentInjector, AgentSyncBack } from './core/agents/result.js';
// The one-call entry: the store, driver, allocator and pool manager the CLI would use with a config
export { openController, type Controller } from './app/library/controller.js';
export type { LibraryOptions } from './app/library/context.js';
// Boxes and warm pools (the CodeAgentController seed API): core's classes, also taking the Basic Usage's short forms
export {
  AllocatorService,
  DefaultPoolManager,
  SshProvisioner,
  sshExecutor,
  type SshExecutor,
  type BasicAllocatorDeps,
  type BasicPoolManagerDeps,
  type BasicProvisionerDeps,
} from './app/library/basic.js';
export type { AllocatorDeps, BoxRequest, BoxGrant } from './core/boxes/allocator.js';
export type { FleetLimits } from './core/boxes/limits.js';
export type { PoolManagerDeps, PoolManagerOptions, ReconcileResult, PoolReport, ProvisionReport } from './core/boxes/reconciler.js';
export { planPool, planOrphans, type PoolSpec, type PoolSnapshot, type PoolPlan, type PlannedAction, type OrphanPlan, type TaggedVm } from './core/boxes/plan-pool.js';
export { provisionBox, runSteps, type ProvisionStep, type StepContext, type ProvisionDeps, type ProvisionOutcome } from './core/provision/pipeline.js';
export { boxSteps, vmCreateStep, sshReadyStep, type SshLogin, type BoxStepOptions } from './core/provision/vm-steps.js';
export { poolStatus } from './core/boxes/pool-status.js';
export { prometheusText } from './output/prometheus.js';
export { validateRepoUrl, validateBranch } from './domain/validate.js';
export { validatePool, type PoolDefinition, type PoolStatus } from './domain/pool.js';
export { BOX_STATES, canTransition, poolKeyOf, type Box, type BoxState, type BoxStep, type BoxPatch, type NewBox, type SshTarget } from './domain/box.js';
export type { BoxStore, PoolCounts, PoolHealth, PoolStats, ClaimOptions, CreateLimits, LimitRefusal, TransitionOptions, UpdateOptions, ListFilter } from './ports/box-store.js';
export type { VmDriver, Vm, VmSpec } from './ports/vm-driver.js';
export { SqliteAgentBoxStore } from './adapters/store/sqlite.js';
export { RedisAgentBoxStore, type RedisStoreOptions, type RedisKvOptions } from './adapters/store/redis.js';
export { DockerVmDriver, type DockerDriverOptions } from './adapters/vm/docker.js';
export { sshLogin } from './adapters/vm/ssh-probe.js';
export { ensureKeyPair, type SshKeyPair } from './app/ssh-key.js';
export { SshFleetVmDriver } from './adapters/vm/ssh-fleet.js';
export { CommandVmDriver } from './adapters/vm/command.js';
export type { FleetHost, FleetLeases } from './ports/box-store.js';
export { ContainerHost } from './adapters/host/container.js';
export { createVmDriver } from './app/drivers.js';
// Remote boxes ready to work: SshHost, the SshProvisioner's steps, encrypted .env payloads
export { SshHost, type SshHostTarget, type SshHostOptions } from './adapters/host/ssh.js';
export type { SshProvisionerDeps } from './core/provision/provisioner.js';
export { BoxConnections, type ClosableHost, type OpenBoxHost } from './core/provision/connections.js';
export { repoStep, fetchBranches, checkout, type RepoStepDeps } from './core/provision/repo.js';
export { devcontainerStep, upOnBox, type DevcontainerStepDeps, type DevcontainerUpDeps } from './core/provision/devcontainer.js';
export { agentsStep, injectAgents, type BoxAgentDeps } from './core/provision/agents.js';
export { switchStep, type SwitchStepDeps } from './core/provision/switch.js';
export { EnvInjector, envStep, type Decrypter } from './core/provision/env.js';
export { repoDelivery, type RepoDelivery } from './core/provision/delivery.js';
export { boxLabel, repoFolder, repoName, type ContainerWorkspace } from './core/provision/box-workspace.js';
export type { BoxWorkspace } from './domain/box.js';
export type { RepoSource, RepoBundle } from './ports/repo-source.js';
export type { ImageSource, ImageExport } from './ports/image-source.js';
export { LocalGitSource, type LocalGitSourceOptions } from './adapters/git/local-source.js';
export { DockerImageSource, type DockerImageSourceOptions } from './adapters/engine/image-source.js';
export { EncryptionService, parseEnvelope, looksLikeEnvelope, type Envelope, type MasterKeyInput } from './core/secrets/envelope.js';
export { generateKey, parseKeys, keyIdOf, type KeyRing, type MasterKey } from './core/secrets/keys.js';
export { parseDotenv, type DotenvEntry } from './core/secrets/dotenv.js';
