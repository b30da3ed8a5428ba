import { describe, expect, it } from 'vitest';
import { CliLogMapper } from '../../../src/adapters/engine/cli-log.js';
import { classifyUpFailure } from '../../../src/adapters/engine/up-failure.js';
import type { EngineEvent } from '../../../src/ports/engine.js';

const j = (o: object) => JSON.stringify(o);

describe('devcontainer CLI log mapping', () => {
  it('turns builds, container start and lifecycle commands into steps', () => {
    const events: EngineEvent[] = [];
    const m = new CliLogMapper((e) => events.push(e));
    m.line(j({ type: 'start', level: 3, text: 'Run: docker build -f /tmp/x -t vsc-1 .' }));
    m.line(j({ type: 'raw', level: 3, text: 'Step 1/2 : FROM base\n ---> abc\n' }));
    m.line(j({ type: 'stop', level: 3, text: 'Run: docker build -f /tmp/x -t vsc-1 .' }));
    m.line(j({ type: 'start', level: 2, text: 'Starting container' }));
    m.line(j({ type: 'stop', level: 2, text: 'Starting container' }));
    m.line(j({ type: 'progress', name: 'Running postCreateCommand...', status: 'running' }));
    m.line(j({ type: 'progress', name: 'Running postCreateCommand...', status: 'failed' }));
    m.line('not json at all');
    const steps = events.filter((e) => e.type !== 'log');
    expect(steps).toEqual([
      { type: 'step.start', id: 'build', title: 'Building image' },
      { type: 'step.ok', id: 'build' },
      { type: 'step.start', id: 'start', title: 'Starting container' },
      { type: 'step.ok', id: 'start' },
      { type: 'step.start', id: 'Running postCreateCommand', title: 'Running postCreateCommand' },
      { type: 'step.fail', id: 'Running postCreateCommand' },
    ]);
    expect(m.buildTail).toEqual(['Step 1/2 : FROM base', ' ---> abc']);
    expect(events).toContainEqual({ type: 'log', line: 'not json at all' });
  });

  it('tells created (docker run) from started (docker start) from reused (neither)', () => {
    const created = new CliLogMapper(() => {});
    created.line(j({ type: 'start', text: 'Run: docker run --sig-proxy=false -a STDOUT img' }));
    expect(created.containerAction).toBe('created');
    const started = new CliLogMapper(() => {});
    started.line(j({ type: 'start', text: 'Run: docker start 0123abcd' }));
    expect(started.containerAction).toBe('started');
    const reused = new CliLogMapper(() => {});
    reused.line(j({ type: 'start', text: 'Run: docker inspect --type container 0123' }));
    expect(reused.containerAction).toBeUndefined();
  });

  it('a Compose config: `compose up -d` created the services, with --no-recreate it started them', () => {
    const events: EngineEvent[] = [];
    const created = new CliLogMapper((e) => events.push(e));
    created.line(j({ type: 'start', text: 'Run: docker-compose --project-name p_devcontainer -f /w/.devcontainer/compose.yml -f /d/docker-compose.devcontainer.build-1.yml build' }));
    created.line(j({ type: 'start', text: 'Run: docker-compose --project-name p_devcontainer -f /w/.devcontainer/compose.yml -f /d/docker-compose.devcontainer.build-1.yml up -d' }));
    expect(created.containerAction).toBe('created');
    expect(events.filter((e) => e.type === 'step.start')).toEqual([
      { type: 'step.start', id: 'build', title: 'Building services' },
      { type: 'step.start', id: 'start', title: 'Starting services' },
    ]);
    const started = new CliLogMapper(() => {});
    started.line(j({ type: 'start', text: 'Run: docker compose --project-name p_devcontainer -f /w/c.yml up -d --no-recreate app cache' }));
    expect(started.containerAction).toBe('started');
    const reused = new CliLogMapper(() => {});
    reused.line(j({ type: 'start', text: 'Run: docker-compose -f /w/.devcontainer/compose.yml config' }));
    reused.line(j({ type: 'start', text: 'Run: docker ps -q -a --filter label=com.docker.compose.project=p_devcontainer' }));
    expect(reused.containerAction).toBeUndefined();
  });

  it('fails steps left open', () => {
    const events: EngineEvent[] = [];
    const m = new CliLogMapper((e) => events.push(e));
    m.line(j({ type: 'start', text: 'Starting container' }));
    m.failOpen();
    expect(events.at(-1)).toEqual({ type: 'step.fail', id: 'start' });
  });
});

describe('up failure classification', () => {
  const base = { stderrLines: [], buildTail: [], logFile: '/s/logs/up.log', exitCode: 1 };

  it('build failure: last 20 build lines and the log path', () => {
    const tail = Array.from({ length: 30 }, (_, i) => `line ${i}`);
    const e = classifyUpFailure({ ...base, buildTail: tail, outcome: { outcome: 'error', message: 'Command failed: docker build -f x', description: 'An error occurred building the image.' } });
    expect(e.code).toBe('ERR_BUILD_FAILED');
    expect(e.message).toContain('/s/logs/up.log');
    expect(String(e.details?.excerpt).split('\n')).toEqual(tail.slice(10));
  });

  it('missing image, engine down, anything else', () => {
    expect(classifyUpFailure({ ...base, outcome: { message: 'Command failed: docker pull cac-test/nope:latest' } })).toMatchObject({
      code: 'ERR_IMAGE_NOT_FOUND',
      message: 'image cac-test/nope:latest not found locally and could not be pulled',
    });
    const down = classifyUpFailure({
      ...base,
      stderrLines: ['Cannot connect to the Docker daemon at unix:///x.sock. Is the docker daemon running?'],
      outcome: { message: 'Command failed: docker ps' },
    });
    expect(down.code).toBe('ERR_ENGINE_UNREACHABLE');
    expect(down.hint).toContain('cac doctor');
    expect(classifyUpFailure({ ...base, outcome: { message: 'weird' } }).code).toBe('ERR_DEVCONTAINER_UP');
  });

  it('Compose not installed: ERR_COMPOSE_MISSING naming the host and how to install it, not a raw spawn error', () => {
    const e = classifyUpFailure({
      ...base,
      where: 'this machine',
      outcome: { outcome: 'error', message: 'spawn docker-compose ENOENT', description: 'An error occurred retrieving the Docker Compose configuration.' },
    });
    expect(e).toMatchObject({ code: 'ERR_COMPOSE_MISSING' });
    expect(e.message).toBe("this dev container uses Docker Compose (dockerComposeFile), but neither 'docker compose' nor 'docker-compose' runs on this machine");
    expect(e.hint).toContain('apt-get install docker-compose');
    const onBox = classifyUpFailure({ ...base, where: 'the box', stderrLines: ['sh: 1: docker-compose: not found'], outcome: { message: 'Command failed' } });
    expect(onBox.code).toBe('ERR_COMPOSE_MISSING');
  });
});

describe('secrets in the devcontainer CLI log', () => {
  it('drops trace entries (the user env probe) and redacts known secret values from what is kept', () => {
    const events: EngineEvent[] = [];
    const m = new CliLogMapper((e) => events.push(e), ['s3cr3t-value']);
    m.line(j({ type: 'text', level: 1, text: 'userEnvProbe parsed: {"OPENAI_API_KEY": "other-secret"}' }));
    m.line(j({ type: 'text', level: 2, text: 'Running with key s3cr3t-value here' }));
    m.line(j({ type: 'raw', level: 3, text: 'build step printed s3cr3t-value\n' }));
    m.line('plain s3cr3t-value');
    const all = [...m.lines, ...m.buildTail, ...events.map((e) => JSON.stringify(e))].join('\n');
    expect(all).not.toContain('other-secret');
    expect(all).not.toContain('s3cr3t-value');
    expect(m.lines).toEqual(['Running with key *** here', 'build step printed ***', 'plain ***']);
  });
});
