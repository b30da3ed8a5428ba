// A Host that records each exec (argv and options) and answers with a set result; putFiles does nothing.
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
