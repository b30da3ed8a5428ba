// One canary family through every way a secret enters cac, end to end through bin/cac on the real
// engines: an agent credential file (~/.codex/auth.json), an env_forward value (OPENAI_API_KEY), an
// encrypted .env payload (box request --env-file), and the master key and a token that a hostile
// devcontainer.json asks for with ${localEnv:…}. Every command runs with -v (and --json where it has a
// result) while /proc/*/cmdline is sampled: every process on this machine, the box and both dev
// containers included (one kernel). The canary must turn up only where it is meant to be: the container's
// 0600 credential and agent env files, and the box's 0600 .env.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, expect, it } from 'vitest';
import { newRunId, removeRun } from '../helpers/box-run.js';
import { makeBoxRepo } from '../helpers/box-repo.js';
import { describeWith, engineEnv, infra } from '../helpers/infra.js';
import { expectNoLeak } from '../helpers/leak-guard.js';
import { runBin, tempHome, type CliResult } from '../helpers/run-cli.js';

const RUN = newRunId('e2e-canary');
const CANARY = `canary-${randomBytes(10).toString('hex')}`;
const MASTER_KEY = randomBytes(32).toString('base64');
const FORWARDED = `${CANARY}-fwd`;
const PLAIN_ENV = `API_TOKEN=${CANARY}-dotenv\nGREETING=hello\n`;
const HOST_PLAIN = `plain-${randomBytes(6).toString('hex')}`;
const SECRETS = [CANARY, MASTER_KEY];

const { home, env: homeEnv } = tempHome();
const stateDir = join(homeEnv.XDG_STATE_HOME, 'cac');
const env = {
  ...engineEnv(),
  ...homeEnv,
  CAC_TEST_RUN_LABEL: RUN,
  CAC_MASTER_KEY: MASTER_KEY,
  OPENAI_API_KEY: FORWARDED,
  GITHUB_TOKEN: `${CANARY}-github`,
  HOST_PLAIN,
};
const root = mkdtempSync(join(tmpdir(), 'cac-e2e-canary-'));
const ws = join(root, 'ws');
const repo = join(root, 'repo');
const envFile = join(home, 'app.env.cac');
const outputs: string[] = [];

/** bin/cac; stdin carries any value the command compares against, so no canary is ever on our own argv. */
async function cac(args: string[], input?: string): Promise<CliResult> {
  const r = await runBin(args, { env, timeoutMs: 480_000, ...(input !== undefined ? { input } : {}) });
  outputs.push(r.stdout, r.stderr);
  return r;
}

const docker = (args: string[], extraEnv: Record<string, string> = {}) => execFileSync('docker', args, { env: { ...engineEnv(), ...extraEnv }, encoding: 'utf8' }).trim();
const devContainer = () => docker(['ps', '-q', '--filter', `label=devcontainer.local_folder=${ws}`]);
/** Files under `dirs` inside a container that hold the canary; the pattern travels by environment, not argv. */
const filesWithCanary = (container: string, dirs: string) =>
  docker(['exec', '-e', 'PAT', container, 'sh', '-c', `grep -rlF -- "$PAT" ${dirs} 2>/dev/null; true`], { PAT: CANARY })
    .split('\n')
    .filter(Boolean)
    .sort();

/** Every process's argv on this machine, read every 20 ms while commands run: hits name the process. */
function sampleCmdlines(): () => Promise<{ samples: number; hits: string[] }> {
  let on = true;
  let samples = 0;
  const hits = new Set<string>();
  const loop = (async () => {
    while (on) {
      for (const pid of readdirSync('/proc')) {
        if (!/^\d+$/.test(pid)) continue;
        let argv: Buffer;
        try {
          argv = readFileSync(`/proc/${pid}/cmdline`);
        } catch {
          continue;
        }
        if (SECRETS.some((s) => argv.includes(s))) hits.add(argv.toString().replace(/\0/g, ' '));
      }
      samples++;
      await sleep(20);
    }
  })();
  return async () => {
    on = false;
    await loop;
    return { samples, hits: [...hits] };
  };
}

describeWith(['docker'], 'secrets reach only their 0600 destinations: credential, env_forward, .env, ${localEnv:…} (bin/cac -v, /proc sampled)', () => {
  const stopSampling = sampleCmdlines();
  let boxId = '';
  let boxFolder = '';
  let boxVm = '';

  mkdirSync(join(ws, '.devcontainer'), { recursive: true });
  writeFileSync(
    join(ws, '.devcontainer/devcontainer.json'),
    JSON.stringify({
      image: infra.CAC_TEST_BASE_IMAGE ?? 'cac-test/base:bookworm',
      remoteUser: 'dev',
      containerEnv: { LEAK_MASTER: '${localEnv:CAC_MASTER_KEY}', LEAK_TOKEN: '${env:GITHUB_TOKEN}', FROM_HOST: '${localEnv:HOST_PLAIN}' },
      remoteEnv: { LEAK_FORWARDED: '${localEnv:OPENAI_API_KEY}' },
      // runs after injection on every start: the CLI's own user-env probe then sees ~/.cac/agents.env
      postStartCommand: 'sleep 1',
    }),
  );
  chownSync(ws, 1000, 1000);
  chownSync(join(ws, '.devcontainer'), 1000, 1000);
  mkdirSync(join(home, '.codex'), { recursive: true });
  writeFileSync(join(home, '.codex/auth.json'), JSON.stringify({ tokens: { refresh_token: `${CANARY}-cred` } }), { mode: 0o600 });
  writeFileSync(join(home, '.codex/config.toml'), 'model = "o4-mini"\n');
  mkdirSync(repo);
  makeBoxRepo(repo);
  mkdirSync(join(homeEnv.XDG_CONFIG_HOME, 'cac'), { recursive: true });
  writeFileSync(
    join(homeEnv.XDG_CONFIG_HOME, 'cac', 'config.toml'),
    [
      '[agents]',
      'enabled = true',
      '[agents.codex]',
      'enabled = true',
      'install = false',
      'env_forward = ["OPENAI_API_KEY"]',
      '[boxes]',
      'preload_images = ["cac-test/base:bookworm"]',
      '[[pools]]',
      `repo_url = "file://${repo}"`,
      'min_standby = 0',
      'max_instances = 1',
    ].join('\n'),
  );

  afterAll(() => {
    const ids = docker(['ps', '-aq', '--filter', `label=devcontainer.local_folder=${ws}`])
      .split('\n')
      .filter(Boolean);
    if (ids.length) docker(['rm', '-f', '-v', ...ids]);
    removeRun(RUN);
    rmSync(root, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  });

  it('up -v --json: the container gets the plain host variable, never the master key, a token or a forwarded value', async () => {
    expect((await cac(['env', 'encrypt', '--out', envFile], PLAIN_ENV)).exitCode).toBe(0);
    const up = await cac(['up', ws, '-v', '--json']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(JSON.parse(up.stdout)).toMatchObject({ outcome: 'success', action: 'created', remoteUser: 'dev' });
    for (const name of ['CAC_MASTER_KEY', 'GITHUB_TOKEN', 'OPENAI_API_KEY']) expect(up.stderr).toContain(`\${localEnv:${name}} resolves empty`);
    // the forwarded value reaches login shells through the 0600 file, and nothing else carries it
    const shown = await cac(
      [
        'exec',
        ws,
        '-v',
        '--',
        'sh',
        '-c',
        'read -r want; [ "$OPENAI_API_KEY" = "$want" ] && echo forwarded; printf "[%s][%s][%s][%s]\\n" "$LEAK_MASTER" "$LEAK_TOKEN" "$LEAK_FORWARDED" "$FROM_HOST"; sleep 1',
      ],
      `${FORWARDED}\n`,
    );
    expect(shown.exitCode, shown.stderr).toBe(0);
    expect(shown.stdout).toBe(`forwarded\n[][][][${HOST_PLAIN}]\n`);
  });

  it('stop and start -v --json run the start hook after injection', async () => {
    expect((await cac(['stop', ws, '-v', '--json'])).exitCode).toBe(0);
    const start = await cac(['start', ws, '-v', '--json']);
    expect(start.exitCode, start.stderr).toBe(0);
    expect(JSON.parse(start.stdout)).toMatchObject({ outcome: 'success', action: 'started' });
  });

  it('box request --env-file --wait -v --json provisions a box; box exec sees the forwarded value and the .env', async () => {
    const grant = await cac(['box', 'request', '--repo', `file://${repo}`, '--env-file', envFile, '--wait', '--timeout', '6m', '-v', '--json']);
    expect(grant.exitCode, grant.stderr).toBe(0);
    const box = (JSON.parse(grant.stdout) as { box: { id: string; vmRef: string; state: string; workspace: { folder: string } } }).box;
    expect(box.state).toBe('ready');
    [boxId, boxFolder, boxVm] = [box.id, box.workspace.folder, box.vmRef];
    const inside = await cac(['box', 'exec', boxId, '-v', '--', 'sh', '-c', 'read -r want; [ "$OPENAI_API_KEY" = "$want" ] && echo forwarded; grep -c "^API_TOKEN=" .env; sleep 1'], `${FORWARDED}\n`);
    expect(inside.exitCode, inside.stderr).toBe(0);
    expect(inside.stdout).toBe('forwarded\n1\n');
  });

  it('the canary is only in the 0600 destinations: not on any command line, output, log, the store, container metadata', async () => {
    const { samples, hits } = await stopSampling();
    expect(samples).toBeGreaterThan(50);
    expect(hits, 'a secret was on a command line').toEqual([]);
    // where it is meant to be, and only there
    const dev = devContainer();
    expect(filesWithCanary(dev, '/home /root /tmp /var/log /workspaces')).toEqual(['/home/dev/.cac/agents.env', '/home/dev/.codex/auth.json']);
    expect(docker(['exec', dev, 'stat', '-c', '%a', '/home/dev/.cac/agents.env', '/home/dev/.codex/auth.json', '/home/dev/.cac', '/home/dev/.codex']).split('\n')).toEqual([
      '600',
      '600',
      '700',
      '700',
    ]);
    expect(filesWithCanary(boxVm, '/home /root /tmp /var/log')).toEqual([join(boxFolder, '.env')]);
    expect(docker(['exec', boxVm, 'stat', '-c', '%a', join(boxFolder, '.env')])).toBe('600');
    // what docker keeps about the containers (env, labels with the devcontainer metadata) holds none of it
    const inspected = docker(['inspect', dev, boxVm]);
    const state = readdirSync(stateDir);
    expect(state).toEqual(expect.arrayContaining(['logs', 'boxes.db']));
    expect(readdirSync(join(stateDir, 'logs')).some((f) => f.startsWith('up-'))).toBe(true);
    expect(readdirSync(join(stateDir, 'logs'))).toContain(`box-${boxId}.log`);
    expectNoLeak(SECRETS, { outputs: [...outputs, inspected], dirs: [stateDir, join(home, '.config'), ws] });
  });
});
