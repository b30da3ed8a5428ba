// `cac box ssh`: the system OpenSSH client, interactive, trusting ONLY the box's pinned host key (a
// temp known_hosts with that one line, StrictHostKeyChecking=yes) and logging in with cac's key. It reads
// no ssh_config (-F /dev/null): a user's or the system's Host * block could otherwise turn host key
// checking off, add a ProxyCommand, or send another identity.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacError } from '../../errors.js';
import type { SshTarget } from '../../domain/box.js';
import { quoteArgv } from '../../util/shell.js';

/** The ssh(1) arguments for `target`; a `command` (argv) is quoted for the remote shell. */
export function sshArgs(target: SshTarget, keyFile: string, knownHosts: string, command: readonly string[], tty: boolean): string[] {
  return [
    '-F',
    '/dev/null',
    '-i',
    keyFile,
    '-p',
    String(target.port),
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'PasswordAuthentication=no',
    '-o',
    'LogLevel=ERROR',
    ...(command.length && tty ? ['-t'] : []),
    '--',
    `${target.user}@${target.host}`,
    ...(command.length ? [quoteArgv(command)] : []),
  ];
}

/** The known_hosts line pinning `target`'s key (OpenSSH writes `[host]:port` for ports other than 22). */
export function knownHostsLine(target: SshTarget): string {
  const name = target.port === 22 ? target.host : `[${target.host}]:${target.port}`;
  return `${name} ${target.hostKey}\n`;
}

/**
 * Runs ssh(1) with cac's stdio; resolves with its exit status (128 + n when killed by signal n). The
 * private key (it may come decrypted from a shared store) is written 0600 into a 0700 temp dir that is
 * removed afterwards: ssh(1) reads keys from files only, and never from argv.
 */
export async function interactiveSsh(target: SshTarget, privateKey: string, command: readonly string[], opts: { env: Record<string, string | undefined> }): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'cac-ssh-'));
  try {
    const knownHosts = join(dir, 'known_hosts');
    await writeFile(knownHosts, knownHostsLine(target), { mode: 0o600 });
    const keyFile = join(dir, 'id');
    await writeFile(keyFile, privateKey, { mode: 0o600 });
    const child = spawn('ssh', sshArgs(target, keyFile, knownHosts, command, process.stdin.isTTY === true), { stdio: 'inherit', env: defined(opts.env) });
    return await new Promise<number>((resolve, reject) => {
      child.once('error', (e: NodeJS.ErrnoException) =>
        reject(new CacError('ERR_SSH_CLIENT', `cannot run ssh: ${e.code === 'ENOENT' ? 'no ssh client on PATH' : e.message}`, { hint: 'install the OpenSSH client (openssh-client)' })),
      );
      child.once('close', (code, signal) => resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)));
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const defined = (env: Record<string, string | undefined>) => Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
