// core/doctor against the real engine through LocalHost (no CLI).
import { expect, it } from 'vitest';
import { LocalHost } from '../../src/adapters/host/local.js';
import { devcontainerCli } from '../../src/adapters/engine/cli-path.js';
import { runDoctor, doctorExitCode, type DoctorCheck } from '../../src/core/doctor/checks.js';
import { probeStore } from '../../src/app/store-probe.js';
import { defaultConfig } from '../../src/config/defaults.js';
import { describeWith, infra } from '../helpers/infra.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const okConfig = async (): Promise<DoctorCheck> => ({ name: 'config', status: 'ok', detail: 'test' });

describeWith(['docker', 'redis'], 'doctor on the real engine', () => {
  it('sees the server version through DOCKER_HOST', async () => {
    const checks = await runDoctor({
      host: new LocalHost(),
      nodeVersion: process.version,
      docker: { path: 'docker', env: { DOCKER_HOST: infra.DOCKER_HOST ?? '' } },
      devcontainer: devcontainerCli(),
      config: okConfig,
      store: () => probeStore(defaultConfig(), mkdtempSync(join(tmpdir(), 'cac-state-'))),
    });
    const server = checks.find((c) => c.name === 'engine server');
    expect(server?.status).toBe('ok');
    expect(checks.find((c) => c.name === 'devcontainer CLI')?.status).toBe('ok');
    expect(checks.find((c) => c.name === 'store')?.status).toBe('ok');
    expect(doctorExitCode(checks)).toBe(checks.some((c) => c.status === 'warning') ? 3 : 0);
  });

  it('reports a dead engine endpoint as an error, and a missing client as not found', async () => {
    const checks = await runDoctor({
      host: new LocalHost(),
      nodeVersion: process.version,
      docker: { path: 'docker-does-not-exist', env: {} },
      devcontainer: devcontainerCli(),
      config: okConfig,
      store: async () => ({ name: 'store', status: 'ok', detail: 'skipped' }),
    });
    expect(checks.find((c) => c.name === 'engine client')).toMatchObject({ status: 'error', detail: 'docker-does-not-exist not found' });
    expect(doctorExitCode(checks)).toBe(1);
  });

  it('PINGs a real Redis store and reports an unreachable one', async () => {
    const ok = await probeStore({ ...defaultConfig(), store: { url: infra.CAC_TEST_REDIS_URL } }, '/nonexistent');
    expect(ok).toMatchObject({ status: 'ok' });
    const dead = await probeStore({ ...defaultConfig(), store: { url: 'redis://127.0.0.1:1' } }, '/nonexistent');
    expect(dead.status).toBe('error');
    expect(dead.hint).toContain('[store] url');
  });
});
