// What children get of cac's environment: the allow-list, per child; never CAC_MASTER_KEY, agent
// credentials or anything else the user keeps in their shell.
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LocalHost } from '../../src/adapters/host/local.js';
import { createContext } from '../../src/app/context.js';
import { commandOptions } from '../../src/app/drivers.js';
import { localEnvPlan } from '../../src/app/engine.js';
import { configSchema, type Config } from '../../src/config/schema.js';
import { defaultConfig } from '../../src/config/defaults.js';
import { localEnvNames } from '../../src/core/lifecycle/local-env.js';
import { childEnv, localChildEnv, looksSecret, pickEnv } from '../../src/util/child-env.js';

const CANARY = 'canary-7f3a9c21d4e8';
/** A user's shell: the variables children need, and secrets they must never see. */
const SHELL_ENV = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  HOME: '/home/me',
  USER: 'me',
  LANG: 'en_US.UTF-8',
  LC_TIME: 'de_DE.UTF-8',
  HTTPS_PROXY: 'http://proxy:3128',
  no_proxy: 'localhost',
  XDG_CONFIG_HOME: '/home/me/.config',
  DOCKER_HOST: 'unix:///run/docker.sock',
  SSH_AUTH_SOCK: '/tmp/ssh-x/agent.1',
  GIT_SSH_COMMAND: 'ssh -i ~/.ssh/deploy',
  CAC_MASTER_KEY: `${CANARY}-master`,
  CAC_CONFIG: '/home/me/cac.toml',
  OPENAI_API_KEY: `${CANARY}-openai`,
  ANTHROPIC_API_KEY: `${CANARY}-anthropic`,
  GITHUB_TOKEN: `${CANARY}-github`,
  AWS_PROFILE: 'dev',
  MY_PLAIN_SETTING: 'plain',
};

const withCommand = (env?: string[]): Config => {
  const c = defaultConfig();
  return { ...c, boxes: { ...c.boxes, driver: 'command', command: { create: 'p create', destroy: 'p destroy', list: 'p list', status: 'p status', timeout: '1m', ...(env ? { env } : {}) } } };
};

describe('the child environment allow-list', () => {
  it('keeps what every program needs and drops everything else, secrets first', () => {
    expect(childEnv(SHELL_ENV)).toEqual({
      PATH: SHELL_ENV.PATH,
      HOME: '/home/me',
      USER: 'me',
      LANG: 'en_US.UTF-8',
      LC_TIME: 'de_DE.UTF-8',
      HTTPS_PROXY: 'http://proxy:3128',
      no_proxy: 'localhost',
      XDG_CONFIG_HOME: '/home/me/.config',
    });
  });

  it('programs on this machine also get the engine settings and the ssh agent; never a CAC_* name, even when asked', () => {
    const local = localChildEnv(SHELL_ENV);
    expect(local).toMatchObject({ DOCKER_HOST: 'unix:///run/docker.sock', SSH_AUTH_SOCK: '/tmp/ssh-x/agent.1' });
    expect(JSON.stringify(local)).not.toContain(CANARY);
    expect(Object.keys(local)).not.toContain('CAC_CONFIG');
    expect(childEnv(SHELL_ENV, ['CAC_MASTER_KEY', 'MY_PLAIN_SETTING'])).toMatchObject({ MY_PLAIN_SETTING: 'plain' });
    expect(childEnv(SHELL_ENV, ['CAC_MASTER_KEY'])).not.toHaveProperty('CAC_MASTER_KEY');
    expect(pickEnv(SHELL_ENV, ['GIT_SSH_COMMAND', 'CAC_MASTER_KEY', 'UNSET'])).toEqual({ GIT_SSH_COMMAND: 'ssh -i ~/.ssh/deploy' });
  });

  it('secret-looking names: credentials by their words, CAC_*, and names the config lists', () => {
    for (const n of ['GITHUB_TOKEN', 'OPENAI_API_KEY', 'AWS_SECRET_ACCESS_KEY', 'NPM_AUTH_TOKEN', 'DB_PASSWORD', 'CAC_MASTER_KEY', 'CAC_ANYTHING']) expect(looksSecret(n), n).toBe(true);
    for (const n of ['GIT_AUTHOR_NAME', 'MY_PLAIN_SETTING', 'TZ', 'KEYBOARD_LAYOUT', 'MONKEY']) expect(looksSecret(n), n).toBe(false);
    expect(looksSecret('COMPANY_THING', new Set(['COMPANY_THING']))).toBe(true);
  });

  it('LocalHost without an explicit env runs programs with the allow-listed part of cac’s own', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { CAC_MASTER_KEY: `${CANARY}-master`, OPENAI_API_KEY: `${CANARY}-openai`, LC_ALL: 'C.UTF-8' });
    try {
      const r = await new LocalHost().exec(['env']);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).not.toContain(CANARY);
      expect(r.stdout).toContain('LC_ALL=C.UTF-8');
      expect(r.stdout).toContain(`PATH=${process.env.PATH}`);
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });

  it("the composition root's host runs every program (docker, git, the devcontainer CLI) with the allow-list", async () => {
    const stdio = { stdin: Readable.from([]), stdout: new PassThrough(), stderr: new PassThrough(), env: { ...SHELL_ENV, PATH: process.env.PATH } };
    const ctx = await createContext(stdio, { json: false, quiet: true, verbose: false, color: false, config: undefined }, new AbortController().signal);
    const r = await ctx.host.exec(['env']);
    expect(r.stdout).not.toContain(CANARY);
    expect(r.stdout).toContain('SSH_AUTH_SOCK=/tmp/ssh-x/agent.1');
    expect(r.stdout).not.toContain('MY_PLAIN_SETTING');
    expect(ctx.childEnv).not.toHaveProperty('CAC_MASTER_KEY');
  });
});

describe('the command plugins’ environment', () => {
  it('is the allow-list, the engine settings and the names [boxes.command] env lists', () => {
    const opts = commandOptions(withCommand(['AWS_PROFILE', 'GITHUB_TOKEN']), SHELL_ENV);
    expect(opts.env).toMatchObject({ PATH: SHELL_ENV.PATH, HOME: '/home/me', DOCKER_HOST: 'unix:///run/docker.sock', AWS_PROFILE: 'dev', GITHUB_TOKEN: `${CANARY}-github` });
    for (const gone of ['CAC_MASTER_KEY', 'OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'MY_PLAIN_SETTING', 'SSH_AUTH_SOCK']) expect(opts.env, gone).not.toHaveProperty(gone);
    expect(commandOptions(withCommand(), SHELL_ENV).env).not.toHaveProperty('GITHUB_TOKEN');
  });

  it('a CAC_* name in [boxes.command] env is a config error', () => {
    const bad = configSchema.safeParse({ boxes: { command: { env: ['CAC_MASTER_KEY'] } } });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toContain("cac's own");
    expect(configSchema.safeParse({ boxes: { command: { env: ['AWS_PROFILE'] } } }).success).toBe(true);
  });
});

describe("a devcontainer.json's ${localEnv:…} references", () => {
  it('are found with their env: alias and defaults, once each', () => {
    const text =
      '{"containerEnv":{"A":"${localEnv:MY_PLAIN_SETTING}","B":"${env:GITHUB_TOKEN}","C":"${localEnv:CAC_MASTER_KEY:x}","D":"${localEnv:MY_PLAIN_SETTING}"},"mounts":["source=${localEnv:HOME}/.ssh,target=/s,type=bind"],"x":"${containerEnv:PATH} ${localEnv:bad-name}"}';
    expect(localEnvNames(text)).toEqual(['MY_PLAIN_SETTING', 'GITHUB_TOKEN', 'CAC_MASTER_KEY', 'HOME']);
  });

  it('pass when set and not secret; secrets and configured credentials are refused; allow-listed ones need nothing more', () => {
    const c = defaultConfig();
    const config: Config = { ...c, agents: { ...c.agents, codex: { ...c.agents.codex, env_forward: ['COMPANY_THING'] } } };
    const names = ['MY_PLAIN_SETTING', 'GITHUB_TOKEN', 'CAC_MASTER_KEY', 'OPENAI_API_KEY', 'COMPANY_THING', 'HOME', 'NOT_SET_ANYWHERE'];
    const plan = localEnvPlan(config, { ...SHELL_ENV, COMPANY_THING: 'x' }, names, localChildEnv(SHELL_ENV));
    expect(plan).toEqual({ pass: { MY_PLAIN_SETTING: 'plain' }, refused: ['GITHUB_TOKEN', 'CAC_MASTER_KEY', 'OPENAI_API_KEY', 'COMPANY_THING'] });
  });
});
