// The library's public API keeps every name it exported before the layering moved modules around
// (the CodeAgentController seed's names included): user code that imports one of them must not break.
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const EXPORTED = [
  'AGENT_KINDS', 'AgentConfig', 'AgentInjector', 'AgentKind', 'AgentResult', 'AgentStatus', 'AgentSyncBack',
  'AllocatorDeps', 'AllocatorService', 'BOX_DRIVERS', 'BOX_STATES', 'Box', 'BoxAgentDeps', 'BoxConnections',
  'BoxDriverName', 'BoxGrant', 'BoxPatch', 'BoxRequest', 'BoxState', 'BoxStep', 'BoxStepOptions', 'BoxStore',
  'BoxWorkspace', 'CacError', 'CacErrorOptions', 'ClaimOptions', 'ClosableHost', 'CommandVmDriver', 'Config',
  'ConfigWarning', 'ContainerHost', 'ContainerInfo', 'ContainerTarget', 'ContainerWorkspace', 'Decrypter',
  'DefaultPoolManager', 'DevcontainerCliEngine', 'DevcontainerCliEngineOptions', 'DevcontainerEngine',
  'DevcontainerStepDeps', 'DevcontainerUpDeps', 'DockerDriverOptions', 'DockerImageSource',
  'DockerImageSourceOptions', 'DockerVmDriver', 'DoctorCheck', 'DotenvEntry', 'EXIT', 'EncryptionService',
  'EngineEvent', 'EnvInjector', 'Envelope', 'ErrorCode', 'ExecOptions', 'ExecResult', 'FleetHost',
  'FleetHostConfig', 'FleetLeases', 'Host', 'ImageExport', 'ImageSource', 'KeyRing', 'LifecycleAction',
  'LifecycleDeps', 'LifecycleOptions', 'LifecycleResult', 'ListFilter', 'ListedContainer', 'LoadedConfig',
  'LocalGitSource', 'LocalGitSourceOptions', 'LocalHost', 'MasterKey', 'NewBox', 'OpenBoxHost', 'OrphanPlan',
  'PlannedAction', 'PoolConfig', 'PoolCounts', 'PoolDefinition', 'PoolHealth', 'PoolManagerDeps',
  'PoolManagerOptions', 'PoolPlan', 'PoolReport', 'PoolSnapshot', 'PoolSpec', 'PoolStats', 'PoolStatus',
  'ProvisionDeps', 'ProvisionOutcome', 'ProvisionReport', 'ProvisionStep', 'ReconcileResult', 'RedisAgentBoxStore',
  'RedisStoreOptions', 'RepoBundle', 'RepoDelivery', 'RepoSource', 'RepoStepDeps', 'Reporter', 'ReporterEvent',
  'SqliteAgentBoxStore', 'SshFleetVmDriver', 'SshHost', 'SshHostOptions', 'SshHostTarget', 'SshKeyPair', 'SshLogin',
  'SshProvisioner', 'SshProvisionerDeps', 'SshTarget', 'StepContext', 'SwitchStepDeps', 'TaggedVm',
  'TransitionOptions', 'UpOptions', 'UpResult', 'UpdateOptions', 'VERSION', 'Vm', 'VmDriver', 'VmSpec',
  'WorkspaceFiles', 'WorkspaceRef', 'agentsStep', 'boxLabel', 'boxSteps', 'canTransition', 'checkJsonc', 'checkout',
  'configFilePath', 'configSchema', 'createVmDriver', 'defaultConfig', 'devcontainerCli', 'devcontainerStep',
  'doctorExitCode', 'down', 'ensureKeyPair', 'envStep', 'exec', 'fetchBranches', 'generateKey', 'injectAgents',
  'isCacError', 'keyIdOf', 'list', 'loadConfig', 'localFiles', 'looksLikeEnvelope', 'parseConfig', 'parseDotenv',
  'parseEnvelope', 'parseKeys', 'planOrphans', 'planPool', 'poolKeyOf', 'poolStatus', 'prometheusText',
  'provisionBox', 'quote', 'quoteArgv', 'rebuild', 'repoDelivery', 'repoFolder', 'repoName', 'repoStep',
  'resolveWorkspace', 'runDoctor', 'runSteps', 'sh', 'silentReporter', 'sshLogin', 'sshReadyStep', 'start',
  'stateDir', 'stop', 'switchStep', 'up', 'upOnBox', 'validateBranch', 'validatePool', 'validateRepoUrl',
  'vmCreateStep',
];

/** Every name src/index.ts exports, values and types alike, as the compiler sees them. */
function exportedNames(file: string): string[] {
  const program = ts.createProgram([file], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, skipLibCheck: true, noEmit: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  const symbol = source && checker.getSymbolAtLocation(source);
  if (!symbol) throw new Error(`cannot read the exports of ${file}`);
  return checker.getExportsOfModule(symbol).map((s) => s.name);
}

describe('library API', () => {
  it('src/index.ts still exports every name it exported', () => {
    const names = new Set(exportedNames(fileURLToPath(new URL('../../src/index.ts', import.meta.url))));
    expect(EXPORTED.filter((n) => !names.has(n))).toEqual([]);
  }, 120_000);
});
