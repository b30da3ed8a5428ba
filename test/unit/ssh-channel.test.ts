// runChannel against a stand-in for ssh2's Client: ssh2 calls exec's callback while it parses one read
// from the socket, and a quick command's output, exit status and close can be in that same read (a
// loaded machine reads late). The exit status must not be lost: it was, as 255 ("no status").
import { PassThrough } from 'node:stream';
import type { Client, ClientChannel } from 'ssh2';
import { describe, expect, it } from 'vitest';
import { runChannel } from '../../src/adapters/host/ssh-channel.js';

/** A channel whose whole life (pid marker, output, exit status, close) arrives in the read that opened it. */
function coalescedClient(code: number): Client {
  return {
    exec(_command: string, cb: (err: Error | undefined, ch: ClientChannel) => void) {
      const stderr = new PassThrough();
      const ch = Object.assign(new PassThrough(), { stderr, close: () => undefined });
      cb(undefined, ch as unknown as ClientChannel);
      // still inside the same synchronous parse of the read, before any awaiting caller resumes
      stderr.write('@cac-pid:42\n');
      ch.write('out\n');
      ch.emit('exit', code);
      ch.end();
      stderr.end();
      process.nextTick(() => ch.emit('close'));
    },
  } as unknown as Client;
}

describe('runChannel', () => {
  it.each([0, 3])('keeps exit status %i that arrived with the exec reply', async (code) => {
    const r = await runChannel({ client: coalescedClient(code), command: 'true', preamble: undefined, opts: {}, kill: async () => undefined, lost: () => undefined });
    expect(r).toEqual({ exitCode: code, stdout: 'out\n', stderr: '' });
  });
});
