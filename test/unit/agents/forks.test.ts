import { describe, expect, it } from 'vitest';
import { loginKind } from '../../../src/core/agents/logins.js';
import { findForks, forkWarning, holdersOf, liveHoldings, onForkAction, type LoginPlace } from '../../../src/core/agents/forks.js';
import type { PlaceChecks } from '../../../src/core/agents/deps.js';
import { boxRecordPath, readRecord, recordPath } from '../../../src/core/agents/record.js';
import { injectAgents } from '../../../src/core/provision/agents.js';
import type { ContainerWorkspace } from '../../../src/core/provision/box-workspace.js';
import { config, FakeDocker, HOME, makeDeps, MemFiles, target } from '../../fakes/agents.js';
import { inject } from '../../../src/core/agents/inject.js';
import { doctorPlan, gatherFacts } from '../../../src/core/agents/doctor.js';

const CANARY = 'sk-ant-ort01-CANARY-never-shown';
const CLAUDE_CREDS = `${HOME}/.claude/.credentials.json`;
const oauth = (refresh: string) => JSON.stringify({ claudeAiOauth: { accessToken: 'a', refreshToken: refresh, expiresAt: 1 } });
const bytes = (s: string) => Buffer.from(s);

describe('loginKind: which credential files hold a rotating login', () => {
  it('Claude OAuth credentials and Codex with a ChatGPT login rotate; a Codex API key does not; other agents and other files are not judged', () => {
    expect(loginKind('claude', CLAUDE_CREDS, bytes(oauth(CANARY)))).toBe('rotating');
    expect(loginKind('claude', CLAUDE_CREDS, bytes('{"other":1}'))).toBe('other');
    expect(loginKind('claude', `${HOME}/.claude.json`, bytes(oauth(CANARY)))).toBe('other');
    const codex = `${HOME}/.codex/auth.json`;
    expect(loginKind('codex', codex, bytes(JSON.stringify({ OPENAI_API_KEY: null, tokens: { id_token: 'i', access_token: 'a', refresh_token: CANARY }, last_refresh: 'x' })))).toBe('rotating');
    expect(loginKind('codex', codex, bytes(JSON.stringify({ auth_mode: 'chatgpt' })))).toBe('rotating');
    expect(loginKind('codex', codex, bytes(JSON.stringify({ OPENAI_API_KEY: 'sk-x' })))).toBe('api-key');
    expect(loginKind('codex', codex, bytes('not json'))).toBe('other');
    expect(loginKind('gemini', `${HOME}/.gemini/oauth_creds.json`, bytes('{"refresh_token":"r"}'))).toBe('other');
  });
});

describe('on_fork decisions', () => {
  const box: LoginPlace = { kind: 'box', id: 'box_first', workspace: '/home/cac/cac/box_first/app' };
  it('no other live place: inject whatever the policy; warn injects; refuse skips; api_key_only injects API-key auth only when a key is forwarded, else skips', () => {
    for (const policy of ['warn', 'refuse', 'api_key_only'] as const) expect(onForkAction(policy, [], false)).toBe('inject');
    expect(onForkAction('warn', [box], false)).toBe('inject');
    expect(onForkAction('refuse', [box], true)).toBe('skip');
    expect(onForkAction('api_key_only', [box], true)).toBe('api-key-only');
    expect(onForkAction('api_key_only', [box], false)).toBe('skip');
  });

  it('warnings name the file and the places, never the token', () => {
    const container: LoginPlace = { kind: 'container', id: '0123456789abcdef', workspace: '/src/app' };
    const h = { agent: 'claude' as const, file: CLAUDE_CREDS, places: [box, container] };
    const opts = { hostHome: HOME, authEnv: ['ANTHROPIC_API_KEY', 'CLAUDE_CODE_OAUTH_TOKEN'] };
    expect(forkWarning(h, 'warn', 'inject', opts)).toBe(
      'token fork: its login in ~/.claude/.credentials.json (a rotating refresh token) is live in box box_first, container 0123456789ab (/src/app) too; a refresh in one place logs the others out (on_fork = "warn")',
    );
    expect(forkWarning(h, 'refuse', 'skip', opts)).toMatch(/^not injected \(on_fork = "refuse"\): its login in ~\/\.claude\/\.credentials\.json/);
    expect(forkWarning(h, 'api_key_only', 'skip', opts)).toMatch(/no API key is forwarded: list one of ANTHROPIC_API_KEY, CLAUDE_CODE_OAUTH_TOKEN in env_forward/);
    expect(forkWarning(h, 'api_key_only', 'api-key-only', opts)).toMatch(/^API-key auth only/);
  });
});

// a box's dev container on the fake box host: its checkout folder names the box
const ws = (id: string): ContainerWorkspace => ({
  folder: `/home/cac/cac/${id}/app`,
  branch: 'main',
  configFile: '.devcontainer/devcontainer.json',
  cli: '/usr/bin/devcontainer',
  containerId: `ctr-${id}`,
  remoteUser: 'dev',
  remoteWorkspaceFolder: '/workspaces/app',
});

/** Place checks over fixed sets: the running local containers and the live boxes. */
function checks(containers: string[], boxes: string[]): PlaceChecks & { asked: string[][] } {
  const asked: string[][] = [];
  return {
    asked,
    runningContainers: async (ids) => new Set(ids.filter((id) => containers.includes(id))),
    liveBoxes: async (ids) => {
      asked.push([...ids]);
      return new Set(ids.filter((id) => boxes.includes(id)));
    },
  };
}

function setup(perAgent: Record<string, unknown> = {}, env: Record<string, string> = {}) {
  const files = new MemFiles({ [CLAUDE_CREDS]: oauth(CANARY), [`${HOME}/.claude/settings.json`]: '{}' });
  const docker = new FakeDocker();
  docker.bins = { claude: '/usr/bin/claude' };
  const made = makeDeps({ agents: config({}, { claude: { enabled: true, ...perAgent } }), files, docker, env });
  const signal = new AbortController().signal;
  const intoBox = (id: string, places: PlaceChecks) => injectAgents(() => ({ ...made.deps, places }), docker, ws(id), signal, { id });
  return { ...made, files, docker, intoBox };
}

describe('token forks across containers and boxes', () => {
  it('an injection into a box is recorded per box id; a second box for the same rotating login warns naming the first (on_fork = "warn")', async () => {
    const { deps, files, intoBox } = setup();
    const [first] = await intoBox('box_first', checks([], []));
    expect(first).toMatchObject({ status: 'ok', copied: expect.arrayContaining(['/home/dev/.claude/.credentials.json']) });
    const record = await readRecord(files, boxRecordPath('/state/cac', 'box_first'));
    expect(record).toMatchObject({ containerId: 'ctr-box_first', files: [{ agent: 'claude', host: CLAUDE_CREDS, container: '/home/dev/.claude/.credentials.json' }] });

    const places = checks([], ['box_first']);
    const [second] = await intoBox('box_second', places);
    expect(second?.status).toBe('warning');
    expect(second?.copied).toContain('/home/dev/.claude/.credentials.json');
    expect(second?.warnings).toEqual([expect.stringMatching(/^token fork: its login in ~\/\.claude\/\.credentials\.json .* is live in box box_first too/)]);
    // the box being injected is not a place of its own fork
    expect(places.asked).toEqual([['box_first']]);
    expect(JSON.stringify(second)).not.toContain(CANARY);
    // a released first box: no fork any more
    const [third] = await intoBox('box_third', checks([], []));
    expect(third?.status).toBe('ok');
    expect(deps.agents.claude.on_fork).toBe('warn');
  });

  it('on_fork = "refuse": the agent is left out of the box with a warning (the injection of others goes on, nothing fails)', async () => {
    const { intoBox, docker, files } = setup({ on_fork: 'refuse' });
    await intoBox('box_first', checks([], []));
    docker.containerFiles.clear();
    docker.calls = [];
    const [claude] = await intoBox('box_second', checks([], ['box_first']));
    expect(claude).toEqual({
      agent: 'claude',
      status: 'warning',
      validated: false,
      copied: [],
      installed: false,
      warnings: ['not injected (on_fork = "refuse"): its login in ~/.claude/.credentials.json (a rotating refresh token) is live in box box_first'],
    });
    expect(docker.calls).toEqual([]);
    expect(await readRecord(files, boxRecordPath('/state/cac', 'box_second'))).toBeUndefined();
  });

  it('on_fork = "api_key_only": with an API key forwarded only that goes in (the login file stays on the host); without one the agent is skipped', async () => {
    const withKey = setup({ on_fork: 'api_key_only', env_forward: ['ANTHROPIC_API_KEY'] }, { ANTHROPIC_API_KEY: 'sk-api' });
    await withKey.intoBox('box_first', checks([], []));
    withKey.docker.containerFiles.clear();
    const [claude] = await withKey.intoBox('box_second', checks([], ['box_first']));
    expect(claude?.copied).toEqual(['/home/dev/.claude/settings.json']);
    expect(claude?.warnings[0]).toMatch(/^API-key auth only \(on_fork = "api_key_only"\)/);
    expect([...withKey.docker.containerFiles.keys()]).not.toContain('/home/dev/.claude/.credentials.json');
    expect((await readRecord(withKey.files, boxRecordPath('/state/cac', 'box_second')))?.files).toEqual([]);

    const noKey = setup({ on_fork: 'api_key_only' });
    await noKey.intoBox('box_first', checks([], []));
    const [skipped] = await noKey.intoBox('box_second', checks([], ['box_first']));
    expect(skipped).toMatchObject({ status: 'warning', copied: [], warnings: [expect.stringMatching(/^not injected \(on_fork = "api_key_only" and no API key is forwarded/)] });
  });

  it('a running local container holding the login is a place too; a stopped one is not; an API-key login is never a fork', async () => {
    const { deps, files, intoBox } = setup({ on_fork: 'refuse' });
    await inject(deps, target, { event: 'start' });
    const local = recordPath('/state/cac', target.workspace);
    expect((await readRecord(files, local))?.containerId).toBe('c0ffee');
    const [refused] = await intoBox('box_first', checks(['c0ffee'], []));
    expect(refused?.warnings).toEqual(['not injected (on_fork = "refuse"): its login in ~/.claude/.credentials.json (a rotating refresh token) is live in container c0ffee (/src/app)']);
    const [stopped] = await intoBox('box_second', checks([], []));
    expect(stopped?.status).toBe('ok');

    files.put(CLAUDE_CREDS, '{"primaryApiKey":"sk"}');
    expect(await findForks({ ...deps, places: checks(['c0ffee'], ['box_second']) }, { kind: 'box', id: 'box_new' })).toEqual([]);
  });

  it('a warm box (injected before its claim): only a login it holds is its fork, and the action was the injection', async () => {
    const { deps, intoBox } = setup({ on_fork: 'refuse' });
    await intoBox('box_standby1', checks([], []));
    const places = checks([], ['box_standby1', 'box_standby2']);
    // the second standby box was refused: it holds nothing, so claiming it forks nothing
    await intoBox('box_standby2', places);
    expect(await findForks({ ...deps, places }, { kind: 'box', id: 'box_standby2' }, { held: true })).toEqual([]);
    const found = await findForks({ ...deps, places }, { kind: 'box', id: 'box_standby1' }, { held: true });
    expect(found).toEqual([]);
    // a cold box about to be made: refused
    const cold = await findForks({ ...deps, places }, { kind: 'box', id: 'box_cold' });
    expect(cold.map((f) => [f.agent, f.action, f.places.map((p) => p.id)])).toEqual([['claude', 'skip', ['box_standby1']]]);

    // on_fork = "warn": both standby boxes hold it; claiming either names the other
    const warn = setup();
    await warn.intoBox('box_standby1', checks([], []));
    await warn.intoBox('box_standby2', checks([], ['box_standby1']));
    const claimed = await findForks({ ...warn.deps, places }, { kind: 'box', id: 'box_standby2' }, { held: true });
    expect(claimed.map((f) => [f.agent, f.action, f.places.map((p) => p.id)])).toEqual([['claude', 'inject', ['box_standby1']]]);
  });

  it('liveHoldings reads both kinds of records and keeps only live places; holdersOf leaves out the place asked about', async () => {
    const { deps, files, intoBox } = setup();
    await inject(deps, target, { event: 'start' });
    await intoBox('box_a', checks([], []));
    await intoBox('box_b', checks([], []));
    const live = await liveHoldings(files, '/state/cac', checks(['c0ffee'], ['box_b']));
    expect(live.map((h) => `${h.place.kind}:${h.place.id}`)).toEqual(['container:c0ffee', 'box:box_b']);
    const login = { agent: 'claude' as const, file: CLAUDE_CREDS };
    expect(holdersOf(login, live, { kind: 'box', id: 'box_b' }).map((p) => p.id)).toEqual(['c0ffee']);
    expect(holdersOf({ agent: 'codex', file: `${HOME}/.codex/auth.json` }, live)).toEqual([]);
  });
});

describe('agents doctor: rotating logins and where they are live', () => {
  it('names the places holding the login; two or more is a token-fork warning (never the token)', async () => {
    const { deps, intoBox } = setup();
    await inject(deps, target, { event: 'start' });
    await intoBox('box_a', checks([], []));
    const facts = async (places: PlaceChecks) => {
      const d = { ...deps, places };
      const g = await gatherFacts(d);
      return doctorPlan(d, g.agents, g.facts).find((r) => r.agent === 'claude');
    };
    const one = await facts(checks([], ['box_a']));
    expect(one?.login).toEqual({ file: '~/.claude/.credentials.json', places: [{ kind: 'box', id: 'box_a', workspace: '/home/cac/cac/box_a/app' }], onFork: 'warn' });
    expect(one?.host.warnings).toEqual([]);
    const two = await facts(checks(['c0ffee'], ['box_a']));
    expect(two?.login?.places.map((p) => p.id)).toEqual(['c0ffee', 'box_a']);
    expect(two?.host.warnings).toEqual([
      'token fork: the login in ~/.claude/.credentials.json (a rotating refresh token) is live in 2 places at once: container c0ffee (/src/app), box box_a; a refresh in one place logs the others out',
    ]);
    expect(JSON.stringify(two)).not.toContain(CANARY);
    expect((await facts(checks([], [])))?.login?.places).toEqual([]);
  });
});
