import { describe, expect, it } from 'vitest';
import { agentLine, closingLine, headerLine, warningCount } from '../../../src/core/agents/summary.js';
import { doctorPlan, gatherFacts } from '../../../src/core/agents/doctor.js';
import type { AgentResult } from '../../../src/core/agents/result.js';
import { config, FakeDocker, HOME, makeDeps, MemAgentCache, MemFiles } from '../../fakes/agents.js';

const r = (over: Partial<AgentResult>): AgentResult => ({ agent: 'codex', status: 'ok', validated: true, copied: [], installed: false, warnings: [], ...over });

describe('summary lines', () => {
  it('matches the documented output', () => {
    const results = [r({ agent: 'codex', copied: ['/a', '/b', '/c'] }), r({ agent: 'cursor', status: 'warning', validated: false, warnings: ['host config ~/.cursor not found'] })];
    expect([headerLine(results.map((x) => x.agent)), ...results.map(agentLine), closingLine(results)]).toEqual([
      'Injecting agents: codex, cursor',
      'codex: ok (copied 3 files)',
      'cursor: warning: host config ~/.cursor not found',
      "Agent injection completed with 1 warning(s). Run 'cac agents doctor' for details.",
    ]);
  });

  it('counts every warning, joins several on one line, says installed and skipped', () => {
    const results = [r({ status: 'warning', warnings: ['a', 'b'] }), r({ agent: 'gemini', copied: ['/x'], installed: true }), r({ agent: 'claude', status: 'skipped' })];
    expect(warningCount(results)).toBe(2);
    expect(agentLine(results[0] as AgentResult)).toBe('codex: warning: a; b');
    expect(agentLine(results[1] as AgentResult)).toBe('gemini: ok (copied 1 file, installed)');
    expect(agentLine(results[2] as AgentResult)).toBe('claude: skipped');
    expect(closingLine([r({})])).toBeUndefined();
  });
});

describe('agents doctor plan', () => {
  it('host part only without a container: paths found, env names set or missing (never values), planned actions', async () => {
    const files = new MemFiles({ [`${HOME}/.codex/auth.json`]: 'SECRET-VALUE' });
    const agents = config({}, { codex: { enabled: true, env_forward: ['OPENAI_API_KEY', 'CODEX_API_KEY'] } });
    const { deps } = makeDeps({ agents, files, docker: new FakeDocker(), env: { OPENAI_API_KEY: 'sk-SECRET' } });
    const { agents: eff, facts } = await gatherFacts(deps);
    const rows = doctorPlan(deps, eff, facts);
    expect(rows.map((x) => [x.agent, x.enabled])).toEqual([
      ['codex', true],
      ['claude', false],
      ['cursor', false],
      ['gemini', false],
    ]);
    const codex = rows[0];
    expect(codex?.host.paths.slice(0, 2)).toEqual([
      { path: '~/.codex/auth.json', found: true },
      { path: '~/.codex/config.toml', found: false },
    ]);
    expect(codex?.host.env).toEqual([
      { name: 'OPENAI_API_KEY', set: true },
      { name: 'CODEX_API_KEY', set: false },
    ]);
    expect(codex?.container).toBeNull();
    expect(codex?.actions).toEqual(['copy 1 file(s) to ~/.codex', 'forward OPENAI_API_KEY', 'install if missing: npm i -g @openai/codex@0.171.0']);
    expect(rows[1]?.actions).toEqual(['none: [agents.claude] enabled = false']);
    expect(JSON.stringify(rows)).not.toContain('SECRET');
  });

  it('with a container: binary and version, and the plan follows them (one exec, no writes)', async () => {
    const files = new MemFiles({ [`${HOME}/.codex/auth.json`]: '{}', [`${HOME}/.claude/settings.json`]: '{}' });
    const docker = new FakeDocker();
    docker.bins = { codex: '/usr/bin/codex' };
    docker.tools = {};
    const { deps } = makeDeps({ agents: config({}, { codex: { enabled: true }, claude: { enabled: true } }), files, docker });
    const { agents, facts } = await gatherFacts(deps, deps.container({ containerId: 'c', remoteUser: 'dev' }));
    const rows = doctorPlan(deps, agents, facts);
    expect(rows[0]?.container).toEqual({ binary: '/usr/bin/codex', version: null });
    expect(rows[0]?.actions).toEqual(['copy 1 file(s) to ~/.codex', 'use /usr/bin/codex']);
    expect(rows[1]?.actions.at(-1)).toMatch(/^warn: cannot install: the container has no Node\.js\/npm/);
    expect(docker.calls.map((c) => c.what)).toEqual(['discover']);
    expect(docker.calls[0]?.argv.at(-1)).toContain('--version');
    expect(files.files.size).toBe(2);
  });

  it('with the agent cache: the pinned version, the platforms cached, and the plan says where the CLI comes from', async () => {
    const files = new MemFiles({ [`${HOME}/.codex/auth.json`]: '{}', [`${HOME}/.gemini/settings.json`]: '{}' });
    const docker = new FakeDocker();
    docker.platform = 'x86_64-gnu';
    const cache = new MemAgentCache();
    cache.entries.set('codex/0.171.0/x86_64-gnu', Buffer.from('prefix'));
    cache.entries.set('codex/0.1.0/aarch64-gnu', Buffer.from('old'));
    const { deps } = makeDeps({ agents: config({}, { codex: { enabled: true }, gemini: { enabled: true, version: 'latest' } }), files, docker, cache });
    const { agents, facts } = await gatherFacts(deps, deps.container({ containerId: 'c', remoteUser: 'dev' }));
    const rows = doctorPlan(deps, agents, facts);
    expect(rows.map((x) => x.cache)).toEqual([
      { package: '@openai/codex', version: '0.171.0', platforms: ['x86_64-gnu'] },
      { package: '@anthropic-ai/claude-code', version: '2.1.332', platforms: [] },
      null,
      { package: '@google/gemini-cli', version: '9.9.9', platforms: [] },
    ]);
    expect(rows[0]?.actions.at(-1)).toBe('install from the cache: codex 0.171.0 (x86_64-gnu)');
    expect(rows[3]?.actions.at(-1)).toBe("install from the registry: gemini 9.9.9 (x86_64-gnu is not cached: 'cac agents cache warm')");
  });

  it('says why nothing happens when agents are off globally', async () => {
    const { deps } = makeDeps({ agents: config({ enabled: false }), files: new MemFiles(), docker: new FakeDocker() });
    const { agents, facts } = await gatherFacts(deps);
    expect(doctorPlan(deps, agents, facts).map((x) => x.actions)).toEqual(Array(4).fill(['none: [agents] enabled = false']));
  });
});
