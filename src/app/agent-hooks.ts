// The lifecycle's agent hooks when `[agents] enabled`; nothing of them loads when agents are off.
// Injection and sync-back (agents.ts: the agents' scripts, tar-stream, ~150 KB of code) load when first
// needed, or once `loadAgents` is called while the devcontainer CLI runs: off the path to spawning it.
import type { Config } from '../config/schema.js';
import type { LifecycleDeps } from '../core/lifecycle/types.js';
import type { AppContext } from './context.js';

type AgentHooks = Pick<LifecycleDeps, 'agents' | 'agentMounts' | 'syncBack' | 'loadAgents'>;

export function agentHooks(ctx: AppContext, config: Config): AgentHooks {
  if (!config.agents.enabled) return {};
  let loaded: ReturnType<typeof load> | undefined;
  const load = () => import('./agents.js').then((m) => m.lifecycleAgents(ctx, config));
  const hooks = () => (loaded ??= load());
  return {
    agents: async (target, event, signal) => (await hooks()).agents(target, event, signal),
    agentMounts: async (signal) => (await import('./agent-cache.js')).agentMounts(ctx, config, signal),
    ...(config.agents.sync_back ? { syncBack: async (target, signal) => (await hooks()).syncBack(target, signal) } : {}),
    // a failed load is reported by the hook that needs it
    loadAgents: () => void hooks().catch(() => undefined),
  };
}
