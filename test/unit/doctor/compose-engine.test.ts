// cac doctor's compose row (v2 plugin, v1 standalone, missing) and which engine answers (Docker or Podman).
import { describe, expect, it } from 'vitest';
import { runDoctor, parseVersion, type DoctorCheck } from '../../../src/core/doctor/checks.js';
import type { ExecResult, Host } from '../../../src/ports/host.js';

/** A Host answering argv (joined by spaces) from a table; anything else is "not found" (127). */
function scriptedHost(answers: Record<string, Partial<ExecResult>>): Host & { calls: string[] } {
  const calls: string[] = [];
  return {
    kind: 'local',
    calls,
    async exec(argv) {
      const key = argv.join(' ');
      calls.push(key);
      const a = Object.entries(answers).find(([k]) => key === k || key.endsWith(k))?.[1];
      return a ? { exitCode: 0, stdout: '', stderr: '', ...a } : { exitCode: 127, stdout: '', stderr: `${argv[0]}: not found` };
    },
    async putFiles() {},
  };
}

const ok = async (): Promise<DoctorCheck> => ({ name: 'x', status: 'ok', detail: '' });
const doctor = (host: Host) => runDoctor({ host, nodeVersion: 'v20.1.0', docker: { path: 'docker', env: {} }, devcontainer: { script: '/x.js', version: '1' }, config: ok, store: ok });
const compose = async (host: Host) => (await doctor(host)).find((c) => c.name === 'compose');

describe('doctor: compose', () => {
  it('prefers Compose v2 (docker compose), then v1 (docker-compose)', async () => {
    expect(await compose(scriptedHost({ 'docker compose version --short': { stdout: '2.24.5\n' } }))).toEqual({ name: 'compose', status: 'ok', detail: 'docker compose 2.24.5 (Compose v2)' });
    const v1 = scriptedHost({ 'docker compose version --short': { exitCode: 1, stderr: "docker: 'compose' is not a docker command." }, 'docker-compose version --short': { stdout: '1.29.2\n' } });
    expect(await compose(v1)).toEqual({ name: 'compose', status: 'ok', detail: 'docker-compose 1.29.2 (Compose v1)' });
  });

  it('missing: a warning with the install hint (only dockerComposeFile configs need it)', async () => {
    const row = await compose(scriptedHost({}));
    expect(row).toMatchObject({ status: 'warning', detail: expect.stringContaining("neither 'docker compose' nor 'docker-compose' runs") });
    expect(row?.hint).toContain('apt-get install docker-compose');
  });
});

describe('doctor: which engine answers', () => {
  it('names Docker or Podman and its version', () => {
    const docker = JSON.stringify({
      Client: { Version: '20.10.24' },
      Server: { Platform: { Name: '' }, Components: [{ Name: 'Engine', Version: '20.10.24' }], Version: '20.10.24', ApiVersion: '1.41' },
    });
    expect(parseVersion(docker)).toEqual({ product: 'Docker', client: '20.10.24', server: '20.10.24', api: '1.41' });
    const podman = JSON.stringify({
      Client: { Version: '20.10.24' },
      Server: { Platform: { Name: 'linux/amd64/debian-12' }, Components: [{ Name: 'Podman Engine', Version: '4.3.1' }], Version: '4.3.1', ApiVersion: '1.41' },
    });
    expect(parseVersion(podman)).toEqual({ product: 'Podman', client: '20.10.24', server: '4.3.1', api: '1.41' });
  });

  it('the engine server row says which engine', async () => {
    const host = scriptedHost({
      'docker version --format {{json .}}': {
        stdout: JSON.stringify({ Client: { Version: '20.10.24' }, Server: { Components: [{ Name: 'Podman Engine', Version: '4.3.1' }], Version: '4.3.1', ApiVersion: '1.41' } }),
      },
    });
    expect((await doctor(host)).find((c) => c.name === 'engine server')?.detail).toBe('Podman 4.3.1 (API 1.41), reachable');
  });
});
