import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ContainerHost } from '../../../src/adapters/host/container.js';
import { RecordingHost } from '../../fakes/host.js';

class Recorder extends RecordingHost {
  override result = { exitCode: 0, stdout: 'out', stderr: '' };
}

describe('ContainerHost', () => {
  it('prefixes docker exec with user, workdir and env NAMES; values travel in the client env only', async () => {
    const inner = new Recorder();
    const host = new ContainerHost({ host: inner, containerId: 'abc', user: 'dev', dockerPath: '/usr/bin/docker', dockerEnv: { DOCKER_HOST: 'unix:///d.sock' } });
    const r = await host.exec(['sh', '-c', 'echo hi'], { env: { OPENAI_API_KEY: 'sk-secret' }, cwd: '/work', timeoutMs: 5 });
    expect(r.stdout).toBe('out');
    expect(host.kind).toBe('container');
    const call = inner.calls[0];
    expect(call?.argv).toEqual(['/usr/bin/docker', 'exec', '-u', 'dev', '-w', '/work', '-e', 'OPENAI_API_KEY', 'abc', 'sh', '-c', 'echo hi']);
    expect(call?.opts).toEqual({ env: { DOCKER_HOST: 'unix:///d.sock', OPENAI_API_KEY: 'sk-secret' }, timeoutMs: 5 });
    expect(JSON.stringify(call?.argv)).not.toContain('sk-secret');
  });

  it('adds -i only when there is stdin, and no -u without a user', async () => {
    const inner = new Recorder();
    const host = new ContainerHost({ host: inner, containerId: 'abc' });
    await host.exec(['cat'], { stdin: 'x' });
    await host.exec(['true']);
    expect(inner.calls.map((c) => c.argv)).toEqual([
      ['docker', 'exec', '-i', 'abc', 'cat'],
      ['docker', 'exec', 'abc', 'true'],
    ]);
  });

  it('refuses env names that are not names, or that would redirect the docker client', async () => {
    const host = new ContainerHost({ host: new Recorder(), containerId: 'abc', dockerEnv: { DOCKER_HOST: 'x' } });
    expect(() => host.exec(['true'], { env: { 'A=B': '1' } })).toThrow(/cannot forward/);
    expect(() => host.exec(['true'], { env: { DOCKER_HOST: 'tcp://evil' } })).toThrow(/cannot forward/);
  });

  it('putFiles streams a tar into `tar -x` as the user, creating the destination', async () => {
    const inner = new Recorder();
    const host = new ContainerHost({ host: inner, containerId: 'abc', user: 'dev' });
    const tar = Readable.from([Buffer.from('tar bytes')]);
    await host.putFiles(tar, "/home/dev/we'ird");
    expect(inner.calls[0]?.argv).toEqual(['docker', 'exec', '-i', '-u', 'dev', 'abc', 'sh', '-c', 'mkdir -p -- "$1" && exec tar -x -p -f - -C "$1"', 'sh', "/home/dev/we'ird"]);
    expect(inner.calls[0]?.opts.stdin).toBe(tar);
    inner.result = { exitCode: 2, stdout: '', stderr: 'tar: x: Cannot open: Permission denied\n' };
    await expect(host.putFiles(Readable.from([]), '/')).rejects.toMatchObject({ code: 'ERR_PUT_FILES', details: { stderr: 'tar: x: Cannot open: Permission denied\n' } });
  });
});
