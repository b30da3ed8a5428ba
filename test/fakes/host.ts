// A Host that records each exec (argv and options) and answers with a set result; putFiles does nothing.
// And a LocalHost standing in for a box.
import { LocalHost } from '../../src/adapters/host/local.js';
import type { ExecOptions, ExecResult, Host } from '../../src/ports/host.js';

export class RecordingHost implements Host {
  readonly calls: Array<{ argv: readonly string[]; opts: ExecOptions }> = [];
  result: ExecResult = { exitCode: 0, stdout: '', stderr: '' };

  constructor(readonly kind: Host['kind'] = 'local') {}

  async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    this.calls.push({ argv, opts });
    return this.result;
  }

  async putFiles(): Promise<void> {}
}

/**
 * A "box" on this machine for tests of the box scripts through a real sh and git: commands start in
 * `home` (as SSH commands start in the user's home), with `env` over this process's environment.
 */
export function localBox(home: string, env: Record<string, string> = {}): Host {
  const local = new LocalHost({ env: { ...process.env, HOME: home, ...env } });
  return { kind: 'local', exec: (argv, o: ExecOptions = {}) => local.exec(argv, { cwd: home, ...o }), putFiles: (t, d, o) => local.putFiles(t, d, o) };
}
