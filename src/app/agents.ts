// Agent hooks for the lifecycle (filled in by the agents issue): none while agents are off.
import type { Config } from '../config/schema.js';
import type { DevcontainerEngine } from '../ports/engine.js';
import type { AgentInjector, AgentSyncBack } from '../core/agents/result.js';
import type { AppContext } from './context.js';

export async function agentHooks(
  _ctx: AppContext,
  _config: Config,
  _engine: DevcontainerEngine,
): Promise<{ agents?: AgentInjector; syncBack?: AgentSyncBack }> {
  return {};
}
