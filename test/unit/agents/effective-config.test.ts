import { describe, expect, it } from 'vitest';
import { containerPath, effectiveAgent, effectiveAgents, expandContainer, expandHost } from '../../../src/core/agents/effective-config.js';
import { config, HOME } from '../../fakes/agents.js';

const materialOf = (a: ReturnType<typeof effectiveAgent>) => a.material.map((m) => [m.host, m.container, m.ontoRoot ?? false]);

describe('effective agent config: preset + overrides', () => {
  it('is the preset when nothing is overridden', () => {
    const a = effectiveAgent('codex', config({}, { codex: { enabled: true } }), {}, HOME);
    expect(a).toMatchObject({
      enabled: true,
      install: true,
      installCommand: 'npm i -g @openai/codex@0.171.0',
      npm: { package: '@openai/codex', version: '0.171.0' },
      hostRoot: `${HOME}/.codex`,
      containerRoot: '~/.codex',
      materialFrom: 'preset',
      envForward: [],
      probe: ['codex'],
    });
    expect(materialOf(a)).toEqual([
      [`${HOME}/.codex/auth.json`, '~/.codex/auth.json', false],
      [`${HOME}/.codex/config.toml`, '~/.codex/config.toml', false],
      [`${HOME}/.codex/AGENTS.md`, '~/.codex/AGENTS.md', false],
      [`${HOME}/.codex/prompts`, '~/.codex/prompts', false],
    ]);
    expect(a.exclude).toContain(`${HOME}/.codex/sessions`);
  });

  it('needs both the global gate and the agent flag', () => {
    expect(effectiveAgent('codex', config({ enabled: false }, { codex: { enabled: true } }), {}, HOME).enabled).toBe(false);
    expect(effectiveAgent('codex', config({ enabled: true }, { codex: { enabled: false } }), {}, HOME).enabled).toBe(false);
    expect(effectiveAgents(config(), {}, HOME).map((a) => a.kind)).toEqual(['codex', 'claude', 'cursor', 'gemini']);
  });

  it('claude copies ~/.claude.json into the container home, not into the config dir', () => {
    const a = effectiveAgent('claude', config(), {}, HOME);
    expect(materialOf(a)).toContainEqual([`${HOME}/.claude.json`, '~/.claude.json', false]);
    expect(a.known.find((k) => k.host === `${HOME}/.claude/.credentials.json`)).toMatchObject({ role: 'credential', syncBack: true });
  });

  it("the agent's root variable in cac's env moves the host config dir (CODEX_HOME, CLAUDE_CONFIG_DIR)", () => {
    const codex = effectiveAgent('codex', config(), { CODEX_HOME: '/data/codex' }, HOME);
    expect(codex).toMatchObject({ hostRoot: '/data/codex', containerRoot: '~/.codex', materialFrom: 'env' });
    expect(materialOf(codex)[0]).toEqual(['/data/codex/auth.json', '~/.codex/auth.json', false]);
    const claude = effectiveAgent('claude', config(), { CLAUDE_CONFIG_DIR: '/cfg/claude' }, HOME);
    expect(materialOf(claude)).toContainEqual(['/cfg/claude/.claude.json', '~/.claude.json', false]);
    // a relative value is not a usable root: the preset stays
    expect(effectiveAgent('codex', config(), { CODEX_HOME: 'rel' }, HOME).hostRoot).toBe(`${HOME}/.codex`);
  });

  it('host_config_path replaces the preset list and wins over the root variable', () => {
    const agents = config({}, { codex: { host_config_path: ['~/.codex', 'AGENTS.md', '~/notes/codex.md', '/etc/codex', '/etc/codex.toml'] } });
    const a = effectiveAgent('codex', agents, { CODEX_HOME: '/data/codex' }, HOME);
    expect(a.materialFrom).toBe('config');
    expect(materialOf(a)).toEqual([
      [`${HOME}/.codex`, '~/.codex', false],
      // relative: to the agent's config dir (here the CODEX_HOME one)
      ['/data/codex/AGENTS.md', '~/.codex/AGENTS.md', false],
      // elsewhere in the home: the same place in the container home
      [`${HOME}/notes/codex.md`, '~/notes/codex.md', false],
      // outside the home: onto the container root
      ['/etc/codex', '~/.codex', true],
      ['/etc/codex.toml', '~/.codex', true],
    ]);
  });

  it('container_config_path re-roots the config dir but not files placed explicitly', () => {
    const a = effectiveAgent('claude', config({}, { claude: { container_config_path: '/opt/claude/' } }), {}, HOME);
    expect(a.containerRoot).toBe('/opt/claude');
    expect(materialOf(a)).toContainEqual([`${HOME}/.claude/settings.json`, '/opt/claude/settings.json', false]);
    expect(materialOf(a)).toContainEqual([`${HOME}/.claude.json`, '~/.claude.json', false]);
    expect(effectiveAgent('codex', config({}, { codex: { container_config_path: 'cfg/codex' } }), {}, HOME).containerRoot).toBe('~/cfg/codex');
  });

  it('install_command and install override the preset', () => {
    const a = effectiveAgent('gemini', config({}, { gemini: { install: false, install_command: 'npm i -g @google/gemini-cli@0.1' } }), {}, HOME);
    expect(a).toMatchObject({ install: false, installCommand: 'npm i -g @google/gemini-cli@0.1' });
    expect(effectiveAgent('cursor', config(), {}, HOME).installCommand).toContain('cursor.com/install');
  });

  it('env_forward is the allow-list; reserved names are dropped with a warning', () => {
    const a = effectiveAgent('codex', config({}, { codex: { env_forward: ['OPENAI_API_KEY', 'PATH', 'DOCKER_HOST', 'OPENAI_API_KEY'] } }), {}, HOME);
    expect(a.envForward).toEqual(['OPENAI_API_KEY']);
    expect(a.warnings).toEqual(['env_forward: PATH is reserved and not forwarded', 'env_forward: DOCKER_HOST is reserved and not forwarded']);
    expect(a.authEnv).toEqual(['OPENAI_API_KEY', 'CODEX_API_KEY']);
  });

  it('cursor probes its specific binary name before the generic one', () => {
    expect(effectiveAgent('cursor', config(), {}, HOME).probe).toEqual(['cursor-agent', 'agent']);
  });
});

describe('~ expansion', () => {
  it('expands ~ to the host home on the host side', () => {
    expect(expandHost('~', '/r', HOME)).toBe(HOME);
    expect(expandHost('~/x/../y', '/r', HOME)).toBe(`${HOME}/y`);
    expect(expandHost('a/b', '/r', HOME)).toBe('/r/a/b');
    expect(expandHost('/abs//p', '/r', HOME)).toBe('/abs/p');
  });

  it('keeps ~ on the container side until the real home is known, then expands to it', () => {
    expect(containerPath('~/.codex/')).toBe('~/.codex');
    expect(containerPath('rel')).toBe('~/rel');
    expect(containerPath('~')).toBe('~');
    expect(expandContainer('~/.codex', '/home/dev')).toBe('/home/dev/.codex');
    expect(expandContainer('~', '/root')).toBe('/root');
    expect(expandContainer('/opt/x', '/root')).toBe('/opt/x');
  });
});
