// A command plugin that misbehaves (not JSON, missing fields, exit 1, hangs past its timeout, missing)
// fails with ONE clear error: ERR_VM_PLUGIN naming the plugin and the call, with its stderr tail.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CommandVmDriver } from '../../../src/adapters/vm/command.js';
import { type CacError, isCacError } from '../../../src/errors.js';
import { keyPair } from './test-run.js';

const FIXTURES = resolve(import.meta.dirname, '../../fixtures/plugins');
const dir = mkdtempSync(join(tmpdir(), 'cac-plugin-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const plugin = (name: string, timeoutMs = 10_000, env: Record<string, string> = {}) => {
  const exe = join(FIXTURES, name);
  const commands = { create: `${exe} create`, destroy: `${exe} destroy`, list: `${exe} list`, status: `${exe} status` };
  return { exe, driver: new CommandVmDriver({ commands, timeoutMs, env: { PATH: process.env.PATH, ...env } }) };
};
const { publicKey } = keyPair();
const spec = { boxId: 'box_errors00001', poolKey: 'https://example.test/app.git#main', labels: { 'cac.test-run': 'errors' }, sshPublicKey: publicKey };
const vm = { vmRef: 'vm-1', boxId: undefined, poolKey: undefined, createdAt: 0, state: 'running' as const };

async function failure(p: Promise<unknown>): Promise<CacError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!isCacError(e)) throw new Error(`expected a CacError, got ${String(e)}`);
  expect(e.code).toBe('ERR_VM_PLUGIN');
  return e;
}

describe('command plugin errors', () => {
  it('not JSON: names the plugin, the call and what it printed', async () => {
    const { exe, driver } = plugin('not-json');
    const e = await failure(driver.create(spec, { idempotencyKey: 'k' }));
    expect(e.message).toBe(`command plugin ${exe} (create) gave a bad answer: printed something that is not JSON: "Creating your instance, please wait...\\ndone"`);
    expect(e.details).toMatchObject({ plugin: exe, call: 'create', reason: 'output', exitCode: 0 });
    expect(e.hint).toContain('examples/plugins/README.md');
    expect((await failure(driver.list())).message).toContain(`command plugin ${exe} (list) gave a bad answer`);
  });

  it('missing fields: names each missing or invalid field', async () => {
    const { exe, driver } = plugin('missing-fields');
    expect((await failure(driver.create(spec, { idempotencyKey: 'k' }))).message).toBe(
      `command plugin ${exe} (create) gave a bad answer: missing or invalid port (1-65535), user (a login name), hostKey (an OpenSSH public key line)`,
    );
    expect((await failure(driver.get('vm-1'))).message).toBe(`command plugin ${exe} (status) gave a bad answer: state must be "running", "stopped" or "gone", not "terminated"`);
    expect((await failure(driver.list())).message).toBe(`command plugin ${exe} (list) gave a bad answer: item 0 (vm-1): labels must be an object of strings`);
  });

  it('exit 1: the exit status and the last 10 lines of its stderr', async () => {
    const { exe, driver } = plugin('exit-1');
    const e = await failure(driver.destroy('vm-1'));
    const tail = [...Array.from({ length: 9 }, (_, i) => `log line ${i + 7}`), 'An error occurred (UnauthorizedOperation) when calling the destroy operation'];
    expect(e.message).toBe(`command plugin ${exe} (destroy) exited 1\n  stderr: ${tail.join('\n          ')}`);
    expect(e.details).toMatchObject({ call: 'destroy', reason: 'exit', exitCode: 1, stderrTail: tail });
    expect(e.hint).toBe(`run it by hand: echo '<json>' | ${exe} destroy`);
    expect((await failure(driver.sshTarget(vm))).message).toContain(`command plugin ${exe} (status) exited 1`);
  });

  it('hangs past the timeout: killed with everything it started, within the timeout and a grace', async () => {
    const pidFile = join(dir, 'hang.pid');
    const { exe, driver } = plugin('hang', 1_500, { HANG_PID_FILE: pidFile });
    const started = Date.now();
    const e = await failure(driver.create(spec, { idempotencyKey: 'k' }));
    expect(Date.now() - started).toBeLessThan(6_000);
    expect(e.message).toBe(`command plugin ${exe} (create) timed out after 2s\n  stderr: waiting for the cloud...`);
    expect(e.details).toMatchObject({ reason: 'timeout' });
    // the plugin's child is dead (gone, or a zombie waiting for init to reap it)
    const child = readFileSync(pidFile, 'utf8').trim();
    await new Promise((r) => setTimeout(r, 200));
    const state = existsSync(`/proc/${child}/stat`) ? readFileSync(`/proc/${child}/stat`, 'utf8').split(') ')[1]?.[0] : 'gone';
    expect(['gone', 'Z']).toContain(state);
  });

  it('a missing program: cannot run, with the config key to fix', async () => {
    const driver = new CommandVmDriver({
      commands: { create: '/nonexistent/plugin create', destroy: 'd', list: 'l', status: 's' },
      timeoutMs: 5_000,
      env: { PATH: '/nonexistent' },
    });
    const e = await failure(driver.create(spec, { idempotencyKey: 'k' }));
    expect(e.message).toBe('command plugin /nonexistent/plugin (create) cannot run (ENOENT)');
    expect(e.hint).toBe('check [boxes.command] create: the program must exist and be executable');
  });

  it('gives the plugin nothing secret: exactly the documented create input, with only the public key', async () => {
    const { driver } = plugin('echo-input');
    const e = await failure(driver.create(spec, { idempotencyKey: 'idem-7' }));
    const input = JSON.parse(((e.details?.stderrTail ?? []) as string[]).join('\n')) as Record<string, unknown>;
    expect(Object.keys(input).sort()).toEqual(['boxId', 'idempotencyKey', 'labels', 'pool', 'sshPublicKey']);
    expect(input).toMatchObject({ boxId: spec.boxId, pool: spec.poolKey, idempotencyKey: 'idem-7', sshPublicKey: publicKey });
    expect(JSON.stringify(input)).not.toMatch(/PRIVATE KEY/);
  });
});
