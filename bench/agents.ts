// Agent injection of all four agents into a running container whose binaries are present: container
// exec round trips (target ≤ 3) and wall time (target ≤ 400 ms median), beside the floors of a bare
// `docker exec` measured in the same run. Every injection must report all four agents ok, and the
// credentials must be in the container afterwards. Real dockerd from scripts/infra.
// Run: node --import tsx bench/agents.ts
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { execFileSync } from 'node:child_process';
import { createContext } from '../src/app/context.js';
import { agentDeps } from '../src/app/agents.js';
import { parseConfig } from '../src/config/parse.js';
import { inject } from '../src/core/agents/inject.js';
import type { ExecOptions, Host } from '../src/ports/host.js';
import { median, mustBe, requireInfra, table, Targets } from './lib.js';

const infra = requireInfra('DOCKER_HOST', 'CAC_TEST_BASE_IMAGE');
const runs = Number(process.env.BENCH_RUNS ?? 10);
const run = `bench-agents-${process.pid}`;
const docker = (...args: string[]) => execFileSync('docker', args, { env: { ...process.env, DOCKER_HOST: infra.DOCKER_HOST }, encoding: 'utf8' }).trim();
const AGENTS = ['claude', 'codex', 'cursor', 'gemini']; // sorted

// host material for every agent, in a temp home
const home = mkdtempSync(join(tmpdir(), 'cac-bench-home-'));
const put = (rel: string, text: string) => (mkdirSync(join(home, rel, '..'), { recursive: true }), writeFileSync(join(home, rel), text));
put('.codex/auth.json', '{"OPENAI_API_KEY":"sk-bench"}');
put('.codex/config.toml', '[projects."/src/app"]\ntrust_level = "trusted"\n');
put('.claude/.credentials.json', '{"claudeAiOauth":{}}');
put('.claude/settings.json', '{}');
put('.claude/commands/review.md', '# review');
put('.claude.json', '{"hasCompletedOnboarding":true,"projects":{"/src/app":{}}}');
put('.cursor/cli-config.json', '{}');
put('.config/cursor/auth.json', '{}');
put('.gemini/oauth_creds.json', '{}');
put('.gemini/settings.json', '{}');
const toml = ['[agents]', 'enabled = true', '[agents.codex]', 'enabled = true', 'env_forward = ["OPENAI_API_KEY"]', ...['claude', 'cursor', 'gemini'].map((k) => `[agents.${k}]\nenabled = true`)];
const { config } = parseConfig(toml.join('\n'), 'bench.toml');

const id = docker('run', '-d', '--label', `cac.test-run=${run}`, infra.CAC_TEST_BASE_IMAGE ?? '', 'sleep', 'infinity');
try {
  for (const bin of ['codex', 'claude', 'cursor-agent', 'gemini']) {
    docker('exec', id, 'sh', '-c', `printf '#!/bin/sh\\necho 1.0.0\\n' > /usr/local/bin/${bin} && chmod +x /usr/local/bin/${bin}`);
  }
  const env = { ...process.env, HOME: home, DOCKER_HOST: infra.DOCKER_HOST, OPENAI_API_KEY: 'sk-bench-env', NO_COLOR: '1' };
  const stdio = { stdin: Readable.from([]), stdout: new PassThrough(), stderr: new PassThrough(), env };
  const ctx = await createContext(stdio, { json: false, quiet: true, verbose: false, color: false, config: undefined }, new AbortController().signal);
  let execs = 0;
  const counting: Host = {
    kind: ctx.host.kind,
    exec: (argv: readonly string[], opts?: ExecOptions) => ((execs += argv[1] === 'exec' ? 1 : 0), ctx.host.exec(argv, opts)),
    putFiles: (tar, dest, opts) => ctx.host.putFiles(tar, dest, opts),
  };
  const deps = agentDeps({ ...ctx, host: counting }, config);
  const target = { containerId: id, remoteUser: 'dev', remoteWorkspaceFolder: '/workspaces/app', workspace: '/src/app' };
  const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;
  const dockerEnv = { ...process.env, DOCKER_HOST: infra.DOCKER_HOST };
  const times: number[] = [];
  const floor: number[] = [];
  const floorIn: number[] = [];
  const trips: number[] = [];
  let statuses = '';
  // interleaved with the floors on this machine (a bare `docker exec`, and one with stdin attached as a
  // tar copy needs), so machine noise hits all alike
  for (let i = 0; i <= runs; i++) {
    execs = 0;
    let t = process.hrtime.bigint();
    const results = await inject(deps, target, { event: 'start' });
    const took = ms(t);
    statuses = results.map((r) => `${r.agent} ${r.status}`).join(', ');
    mustBe(
      results
        .map((r) => r.agent)
        .sort()
        .join() === AGENTS.join() && results.every((r) => r.status === 'ok'),
      `every agent injected ok, got ${statuses}`,
    );
    if (i === 0) continue; // warm-up: the first injection into this container
    times.push(took);
    trips.push(execs);
    t = process.hrtime.bigint();
    docker('exec', '-u', 'dev', id, 'true');
    floor.push(ms(t));
    t = process.hrtime.bigint();
    execFileSync('docker', ['exec', '-i', '-u', 'dev', id, 'sh', '-c', 'cat >/dev/null'], { env: dockerEnv, input: Buffer.alloc(10240) });
    floorIn.push(ms(t));
  }
  // what the injection copied is really in the container, for the container user
  const auth = docker('exec', '-u', 'dev', id, 'sh', '-c', 'cat "$HOME/.codex/auth.json"');
  mustBe(auth.includes('sk-bench'), `the codex credentials reached the container, got ${JSON.stringify(auth)}`);
  const row = (name: string, xs: number[]) => [name, '1', median(xs).toFixed(0), Math.min(...xs).toFixed(0), Math.max(...xs).toFixed(0), '-'];
  const targets = new Targets('agents');
  console.log(`\nagent injection, 4 agents with binaries present, ${runs} runs after a warm-up\n`);
  console.log(
    table(
      ['case', 'exec round trips', 'median ms', 'min ms', 'max ms', 'agents'],
      [
        [
          'inject codex, claude, cursor, gemini',
          targets.check('container exec round trips per injection (most of any run)', Math.max(...trips), '≤', 3, ''),
          targets.check('injection wall time, median', median(times), '≤', 400, 'ms'),
          Math.min(...times).toFixed(0),
          Math.max(...times).toFixed(0),
          statuses,
        ],
        row('floor: `docker exec … true`', floor),
        row('floor: `docker exec -i … cat` (10 KB stdin)', floorIn),
      ],
    ),
  );
  targets.finish();
} finally {
  docker('rm', '-f', id);
  rmSync(home, { recursive: true, force: true });
}
