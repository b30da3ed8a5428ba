// The command driver: the user's executables (thin scripts around any cloud CLI) make, find and remove
// VMs, speaking JSON on stdin/stdout (command-contract.ts). No shell: each configured command line is
// split into an argv once, and every call runs in its own process group under a timeout.
import ms from 'ms';
import type { SshTarget } from '../../domain/box.js';
import { CacError } from '../../errors.js';
import { quoteArgv } from '../../util/shell.js';
import type { Vm, VmDriver, VmSpec } from '../../ports/vm-driver.js';
import { BOX_LABEL, createdAtOf, createInput, parseCreateOutput, parseListOutput, parseStatusOutput, POOL_LABEL, PLUGIN_CALLS, type Parsed, type PluginCall } from './command-contract.js';
import { runPlugin, type PluginRun } from './plugin-process.js';
import { shellWords } from '../../domain/shell-words.js';

export interface CommandDriverOptions {
  /** `[boxes.command]`: one command line per call. */
  commands: Record<PluginCall, string>;
  /** Per call. */
  timeoutMs: number;
  /** The plugins' whole environment (an allow-list of cac's plus `[boxes.command] env`; app/drivers.ts). */
  env: Record<string, string | undefined>;
  /** For a leading `~/` in a command line. */
  home?: string;
  /** Labels on every VM, and the filter of the listing: another store's VMs are never our orphans. */
  scope?: Record<string, string>;
  now?: () => number;
}

const STDERR_TAIL_LINES = 10;

type Known = Pick<Vm, 'boxId' | 'poolKey' | 'createdAt'>;

/** The command VmDriver: your executables (create, destroy, list, status) around any cloud CLI. */
export class CommandVmDriver implements VmDriver {
  readonly name = 'command';
  private readonly argv: Record<PluginCall, string[]>;
  private readonly now: () => number;
  // what create and list learnt, for get and sshTarget in this process
  private readonly targets = new Map<string, SshTarget>();
  private readonly known = new Map<string, Known>();

  constructor(private readonly opts: CommandDriverOptions) {
    this.now = opts.now ?? Date.now;
    this.argv = Object.fromEntries(PLUGIN_CALLS.map((call) => [call, splitCommand(call, opts.commands[call], opts.home)])) as Record<PluginCall, string[]>;
  }

  /** The program each call runs, for doctor. */
  programs(): Record<PluginCall, string> {
    return Object.fromEntries(PLUGIN_CALLS.map((call) => [call, this.argv[call][0] ?? ''])) as Record<PluginCall, string>;
  }

  async create(spec: VmSpec, opts: { idempotencyKey: string; signal?: AbortSignal }): Promise<Vm> {
    const now = this.now();
    const scoped = { ...spec, labels: { ...spec.labels, ...this.opts.scope } };
    const out = await this.call('create', createInput(scoped, opts.idempotencyKey, now), parseCreateOutput, opts.signal);
    const { vmRef, ...target } = out;
    this.targets.set(vmRef, target);
    const vm: Vm = { vmRef, boxId: spec.boxId, poolKey: spec.poolKey, createdAt: now, state: 'running' };
    this.known.set(vmRef, vm);
    return vm;
  }

  async get(vmRef: string, opts: { signal?: AbortSignal } = {}): Promise<Vm | undefined> {
    const status = await this.call('status', { vmRef }, parseStatusOutput, opts.signal);
    if (status.target) this.targets.set(vmRef, status.target);
    if (status.state === 'gone') return undefined;
    const known = this.known.get(vmRef);
    return { vmRef, boxId: known?.boxId, poolKey: known?.poolKey, createdAt: known?.createdAt ?? this.now(), state: status.state };
  }

  async list(opts: { signal?: AbortSignal } = {}): Promise<Vm[]> {
    const listed = await this.call('list', {}, parseListOutput, opts.signal);
    const now = this.now();
    const scope = Object.entries(this.opts.scope ?? {});
    const inScope = listed.filter(({ labels }) => scope.every(([k, v]) => labels[k] === v));
    return inScope.map(({ vmRef, labels }) => {
      const vm: Vm = { vmRef, boxId: labels[BOX_LABEL], poolKey: labels[POOL_LABEL], createdAt: createdAtOf(labels, now), state: 'running' };
      this.known.set(vmRef, vm);
      return vm;
    });
  }

  async destroy(vmRef: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    await this.call('destroy', { vmRef }, () => ({ ok: true, value: undefined }), opts.signal);
    this.targets.delete(vmRef);
    this.known.delete(vmRef);
  }

  async sshTarget(vm: Vm, opts: { signal?: AbortSignal } = {}): Promise<SshTarget> {
    const cached = this.targets.get(vm.vmRef);
    if (cached) return cached;
    const status = await this.call('status', { vmRef: vm.vmRef }, parseStatusOutput, opts.signal);
    if (status.target) return status.target;
    throw new CacError('ERR_VM_SSH_TARGET', `the command plugin gave no SSH endpoint for VM ${vm.vmRef} to this cac process`, {
      hint: 'create prints it; let status print host, port, user and hostKey too, so another cac process can resume the box',
    });
  }

  /** Runs one call: input JSON on stdin, the parsed stdout back; any failure is ERR_VM_PLUGIN naming the plugin and the call. */
  private async call<T>(call: PluginCall, input: object, parse: (stdout: string) => Parsed<T>, signal?: AbortSignal): Promise<T> {
    const argv = this.argv[call];
    const run = await runPlugin(argv, { stdin: `${JSON.stringify(input)}\n`, env: this.opts.env, timeoutMs: this.opts.timeoutMs, ...(signal ? { signal } : {}) });
    const fail = (what: string, reason: string, hint: string): CacError => pluginError(argv, call, what, reason, hint, run);
    if (run.startError !== undefined) {
      throw fail(`cannot run (${run.startError})`, 'not-found', `check [boxes.command] ${call}: the program must exist and be executable`);
    }
    if (run.timedOut) {
      throw fail(`timed out after ${ms(this.opts.timeoutMs)}`, 'timeout', 'raise [boxes.command] timeout, or find what the plugin waits for');
    }
    if (run.exitCode !== 0) throw fail(`exited ${run.exitCode}`, 'exit', `run it by hand: echo '<json>' | ${quoteArgv(argv)}`);
    const parsed = parse(run.stdout);
    if (!parsed.ok) throw fail(`gave a bad answer: ${parsed.reason}`, 'output', 'see the JSON contract in examples/plugins/README.md');
    return parsed.value;
  }
}

function splitCommand(call: PluginCall, line: string, home: string | undefined): string[] {
  try {
    return shellWords(line, home);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new CacError('ERR_CONFIG_SCHEMA', `[boxes.command] ${call}: ${why}`, { hint: 'write the command like a shell command line, without pipes or variables' });
  }
}

function pluginError(argv: readonly string[], call: PluginCall, what: string, reason: string, hint: string, run: PluginRun): CacError {
  const tail = run.stderr.trim().split('\n').filter(Boolean).slice(-STDERR_TAIL_LINES);
  const plugin = argv[0] ?? '';
  const message = `command plugin ${plugin} (${call}) ${what}${tail.length ? `\n  stderr: ${tail.join('\n          ')}` : ''}`;
  return new CacError('ERR_VM_PLUGIN', message, { hint, details: { plugin, call, reason, exitCode: run.exitCode, stderrTail: tail } });
}
