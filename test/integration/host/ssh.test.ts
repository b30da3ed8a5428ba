// The Host contract on a real sshd (from .infra/env), plus what only SSH has: the pinned host key, one
// reused connection, keepalive and connect timeouts, and killing the remote process group.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, expect, it } from 'vitest';
import { SshHost, type SshHostOptions, type SshHostTarget } from '../../../src/adapters/host/ssh.js';
import { describeWith, infra } from '../../helpers/infra.js';
import { aliveIn, hostContract } from './contract.js';

const target = (over: Partial<SshHostTarget> = {}): SshHostTarget => ({
  host: infra.CAC_TEST_SSH_HOST ?? '127.0.0.1',
  port: Number(infra.CAC_TEST_SSH_PORT),
  user: infra.CAC_TEST_SSH_USER ?? 'root',
  hostKey: infra.CAC_TEST_SSH_HOST_KEY ?? '',
  privateKey: infra.CAC_TEST_SSH_KEY ?? '',
  ...over,
});

const hosts: SshHost[] = [];
function sshHost(over: Partial<SshHostTarget> = {}, opts: SshHostOptions = {}): SshHost {
  const h = new SshHost(target(over), opts);
  hosts.push(h);
  return h;
}

// An OpenSSH public key line for a freshly generated ed25519 key (the SPKI DER ends with the 32 raw bytes).
function otherEd25519Line(): string {
  const raw = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' }).subarray(-32);
  const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return `ssh-ed25519 ${Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]).toString('base64')}`;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

describeWith(['ssh'], 'SshHost', () => {
  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.close()));
  });

  hostContract('SshHost', async () => ({ host: sshHost() }));

  it('refuses a server whose host key is not the pinned one, before running anything', async () => {
    const marker = `/tmp/cac-mismatch-${randomBytes(4).toString('hex')}`;
    const wrong = sshHost({ hostKey: otherEd25519Line() });
    const err = await wrong.exec(['touch', marker]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_HOST_KEY_MISMATCH', hint: expect.stringContaining('never accepts a new key') });
    expect((err as Error).message).toMatch(/expected ssh-ed25519 SHA256:\S+, the server presented ssh-ed25519 SHA256:\S+/);
    const otherType = sshHost({
      hostKey: 'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg=',
    });
    await expect(otherType.exec(['touch', marker])).rejects.toMatchObject({ code: 'ERR_HOST_KEY_MISMATCH', message: expect.stringContaining('has no ecdsa-sha2-nistp256 host key') });
    expect((await sshHost().exec(['test', '-e', marker])).exitCode).toBe(1);
    expect(() => new SshHost(target({ hostKey: 'not a key' }))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_INPUT' }));
  });

  it('reuses one connection for every channel, and reopens after close()', async () => {
    const host = sshHost();
    const serial = [];
    for (let i = 0; i < 4; i++) serial.push(await host.exec(['sh', '-c', 'echo "$SSH_CONNECTION"']));
    const parallel = await Promise.all(Array.from({ length: 14 }, () => host.exec(['sh', '-c', 'echo "$SSH_CONNECTION"'])));
    const clientPorts = new Set([...serial, ...parallel].map((r) => r.stdout.split(' ')[1]));
    expect(clientPorts.size).toBe(1);
    expect(host.connectCount).toBe(1);
    await host.close();
    expect((await host.exec(['true'])).exitCode).toBe(0);
    expect(host.connectCount).toBe(2);
  });

  it('a timeout kills the whole remote process group, children too', async () => {
    const host = sshHost();
    const dir = (await host.exec(['mktemp', '-d'])).stdout.trim();
    const r = await host.exec(['sh', '-c', 'sleep 300 & echo $! >"$1/child"; echo $$ >"$1/parent"; wait', 'sh', dir], { timeoutMs: 800 });
    expect(r).toMatchObject({ exitCode: 124, timedOut: true });
    expect(await aliveIn(host, [`${dir}/child`, `${dir}/parent`])).toEqual([]);
    await host.exec(['rm', '-rf', dir]);
  });

  it('nothing listening: a clear ERR_SSH_CONNECT', async () => {
    const closed = createServer();
    const port = await listen(closed);
    await new Promise<void>((r) => closed.close(() => r()));
    const host = sshHost({ port }, { connectTimeoutMs: 5000 });
    await expect(host.exec(['true'])).rejects.toMatchObject({ code: 'ERR_SSH_CONNECT', message: expect.stringMatching(/connection refused/) });
  });

  it('a port that accepts TCP but never speaks SSH: ERR_SSH_TIMEOUT after connectTimeoutMs', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((s) => sockets.push(s));
    const port = await listen(silent);
    const t0 = Date.now();
    await expect(sshHost({ port }, { connectTimeoutMs: 600 }).exec(['true'])).rejects.toMatchObject({
      code: 'ERR_SSH_TIMEOUT',
      message: expect.stringContaining('no SSH handshake within 600 ms'),
    });
    expect(Date.now() - t0).toBeLessThan(5000);
    for (const s of sockets) s.destroy();
    silent.close();
  });

  it('keepalive: a connection that stops answering fails running commands, and the next exec reconnects', async () => {
    let frozen = false;
    const pairs: Socket[][] = [];
    const proxy = createServer((down) => {
      const up = tcpConnect(Number(infra.CAC_TEST_SSH_PORT), '127.0.0.1');
      pairs.push([down, up]);
      down.on('data', (d) => frozen || up.write(d));
      up.on('data', (d) => frozen || down.write(d));
      down.on('error', () => up.destroy());
      up.on('error', () => down.destroy());
      down.on('close', () => up.destroy());
    });
    const port = await listen(proxy);
    const host = sshHost({ port }, { keepaliveIntervalMs: 200, keepaliveCountMax: 2 });
    expect((await host.exec(['echo', 'hi'])).stdout).toBe('hi\n');
    frozen = true;
    const t0 = Date.now();
    await expect(host.exec(['sleep', '5'])).rejects.toMatchObject({ code: 'ERR_SSH_DISCONNECTED', message: expect.stringContaining('no answer to 2 keepalives') });
    expect(Date.now() - t0).toBeLessThan(4000);
    frozen = false;
    expect((await host.exec(['echo', 'back'])).stdout).toBe('back\n');
    expect(host.connectCount).toBe(2);
    for (const p of pairs) for (const s of p) s.destroy();
    proxy.close();
  });
});
