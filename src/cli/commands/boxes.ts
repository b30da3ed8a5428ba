// Remote boxes and warm pools: box request|list|show|release|exec|ssh, pool reconcile|status|pause|resume,
// env keygen|encrypt|check.
import type { Command } from 'commander';
import { lazyAction, type Handler, type Runtime } from '../action.js';

const accessCmd = (name: 'exec' | 'ssh') => (): Promise<Handler> => import('../handlers/box-access.js').then((m) => m[name]);
const envHandler = (name: 'keygen' | 'encrypt' | 'check') => (): Promise<Handler> => import('../handlers/env.js').then((m) => m[name]);
const boxCmd = (name: 'request' | 'list' | 'show' | 'release' | 'provisionWorker') => (): Promise<Handler> => import('../handlers/box.js').then((m) => m[name]);
const poolCmd = (name: 'reconcile' | 'status' | 'pause' | 'resume') => (): Promise<Handler> => import('../handlers/pool.js').then((m) => m[name]);

export function registerBoxes(program: Command, rt: Runtime): void {
  const box = program.command('box').description('remote boxes: a repo checked out, its devcontainer up, agents inside');
  box
    .command('request')
    .description('get a box for a repo and branch: warm from a pool at once, else provisioned')
    .requiredOption('--repo <url>', 'repository URL (https://, ssh://, git@host:path, file:// or a local path)')
    .option('--branch <name>', 'branch to check out (default: the pool base branch)')
    .option('--for <who>', 'who the box is for (a ticket, a CI job)')
    .option('--env-file <file>', 'encrypted .env payload (cac env encrypt) to write into the box')
    .option('--wait', 'wait until the box is ready')
    .option('--timeout <duration>', 'with --wait: how long to wait', '10m')
    .action(lazyAction(rt, boxCmd('request')));
  box.command('list').description('list boxes with state, pool and age').option('--all', 'include destroyed and failed boxes').action(lazyAction(rt, boxCmd('list')));
  box
    .command('show')
    .description('show one box: state, steps with durations, SSH target')
    .argument('<id>', 'box id')
    .option('--wait', 'wait until the box is ready')
    .option('--timeout <duration>', 'with --wait: how long to wait', '10m')
    .action(lazyAction(rt, boxCmd('show')));
  box.command('release').description('release a box: it is destroyed').argument('<id>', 'box id').action(lazyAction(rt, boxCmd('release')));
  // the detached worker `box request` starts for a cold box; not for people, so hidden from help and completions
  box
    .command('_provision', { hidden: true })
    .argument('<id>', 'box id')
    .option('--env-stdin', "the requester's encrypted .env is on stdin")
    .action(lazyAction(rt, boxCmd('provisionWorker')));
  box
    .command('exec')
    .description("run a command in the box's dev container: cac box exec <id> -- <cmd> [args...]")
    .argument('<id>', 'box id')
    .argument('[command...]', 'the command and its arguments, after --')
    .action(lazyAction(rt, accessCmd('exec')));
  box
    .command('ssh')
    .description('open a shell on the box (system ssh, only its pinned host key): cac box ssh <id> [-- <cmd>]')
    .argument('<id>', 'box id')
    .argument('[command...]', 'a command to run instead of a shell, after --')
    .action(lazyAction(rt, accessCmd('ssh')));

  const pool = program.command('pool').description('warm pools of standby boxes per repo and base branch');
  pool
    .command('reconcile')
    .description('bring every [[pools]] entry to min_standby warm boxes, within max_instances')
    .option('--dry-run', 'print the plan and change nothing')
    .option('--watch', 'keep reconciling')
    .option('--interval <duration>', 'with --watch: time between runs (also the failure backoff unit)', '60s')
    .action(lazyAction(rt, poolCmd('reconcile')));
  pool
    .command('status')
    .description('per pool: standby, provisioning, claimed, failed, paused, latencies')
    .option('--prometheus', 'print the Prometheus text format (node_exporter textfile collector)')
    .action(lazyAction(rt, poolCmd('status')));
  for (const verb of ['pause', 'resume'] as const) {
    pool
      .command(verb)
      .description(verb === 'pause' ? 'stop creating boxes for a pool' : 'resume a paused pool and clear its failure count')
      .argument('<repo>', 'repository URL of the pool')
      .option('--branch <name>', "base branch of the pool (default: the repo's pool in [[pools]], else main)")
      .action(lazyAction(rt, poolCmd(verb)));
  }

  const env = program.command('env').description('encrypted .env payloads for boxes');
  env.command('keygen').description('print a new master key (base64, 32 bytes)').action(lazyAction(rt, envHandler('keygen')));
  env
    .command('encrypt')
    .description('encrypt a .env payload with the newest master key')
    .option('--in <file>', 'plain .env file (default: stdin)')
    .option('--out <file>', 'write the envelope here (default: stdout)')
    .action(lazyAction(rt, envHandler('encrypt')));
  env.command('check').description('decrypt in memory and print only the key names').argument('<file>', 'encrypted payload').action(lazyAction(rt, envHandler('check')));
}
