// Remote boxes and warm pools: box request|list|show|renew|release|pull|exec|ssh|image build|image status, pool reconcile|status|pause|resume,
// env keygen|encrypt|check.
import type { Command } from '@commander-js/extra-typings';
import { lazyAction, type Runtime } from '../action.js';

const box = () => import('../handlers/box.js');
const pool = () => import('../handlers/pool.js');
const env = () => import('../handlers/env.js');
const boxImage = () => import('../handlers/box-image.js');

/** How long `--wait` waits for a box (box request, box show). */
const WAIT_TIMEOUT = '10m';

export function registerBoxes(program: Command, rt: Runtime): void {
  const boxes = program.command('box').description('remote boxes: a repo checked out, its devcontainer up, agents inside');
  boxes
    .command('request')
    .description('get a box for a repo and branch: warm from a pool at once, else provisioned')
    .requiredOption('--repo <url>', 'repository URL (https://, ssh://, git@host:path, file:// or a local path)')
    .option('--branch <name>', 'branch to check out (default: the pool base branch)')
    .option('--for <who>', 'who the box is for (a ticket, a CI job)')
    .option('--env-file <file>', 'encrypted .env payload (cac env encrypt) to write into the box')
    .option('--wait', 'wait until the box is ready')
    .option('--timeout <duration>', 'with --wait: how long to wait', WAIT_TIMEOUT)
    .option('--ttl <duration>', "the box's lease (default: [boxes] lease_ttl)")
    .action(lazyAction(rt, () => box().then((m) => m.request)));
  boxes
    .command('list')
    .description('list boxes with state, pool and age')
    .option('--all', 'include destroyed and failed boxes')
    .action(lazyAction(rt, () => box().then((m) => m.list)));
  boxes
    .command('show')
    .description('show one box: state, steps with durations, SSH target')
    .argument('<id>', 'box id')
    .option('--wait', 'wait until the box is ready')
    .option('--timeout <duration>', 'with --wait: how long to wait', WAIT_TIMEOUT)
    .action(lazyAction(rt, () => box().then((m) => m.show)));
  boxes
    .command('release')
    .description('release a box: it is destroyed')
    .argument('<id>', 'box id')
    .action(lazyAction(rt, () => box().then((m) => m.release)));
  boxes
    .command('pull')
    .description("copy credentials an agent refreshed in the box's dev container back to this host")
    .argument('<id>', 'box id')
    .action(lazyAction(rt, () => box().then((m) => m.pull)));
  boxes
    .command('renew')
    .description("extend a box's lease: --ttl from now (only its claimant, unless --force)")
    .argument('<id>', 'box id')
    .option('--ttl <duration>', 'the new lease, from now (default: [boxes] lease_ttl)')
    .option('--for <who>', 'who renews: must be the claimant (default: $USER)')
    .option('--force', 'renew a box someone else holds')
    .action(lazyAction(rt, () => box().then((m) => m.renew)));
  const image = boxes.command('image').description('the box image docker-driver boxes run, built from the recipe cac ships');
  image
    .command('build')
    .description('build the box image (skipped when it has the current recipe): docker build, or --from-rootfs')
    .option('--tag <ref>', 'image name (default: [boxes.docker] image)')
    .option('--from-rootfs', 'no registry: a debootstrap rootfs imported (Debian, as root)')
    .option('--force', 'build even when the image has the current recipe')
    .action(lazyAction(rt, () => boxImage().then((m) => m.build)));
  image
    .command('status')
    .description('whether the box image is present and built from the current recipe')
    .option('--tag <ref>', 'image name (default: [boxes.docker] image)')
    .option('--from-rootfs', 'compare with the recipe of a --from-rootfs build')
    .action(lazyAction(rt, () => boxImage().then((m) => m.status)));
  // the background box worker `box request` starts for a cold box; not for people, so hidden from help and completions
  boxes
    .command('_provision', { hidden: true })
    .argument('<id>', 'box id')
    .option('--env-stdin', "the requester's encrypted .env is on stdin")
    .action(lazyAction(rt, () => box().then((m) => m.provisionWorker)));
  boxes
    .command('exec')
    .description("run a command in the box's dev container: cac box exec <id> -- <cmd> [args...]")
    .argument('<id>', 'box id')
    .argument('[command...]', 'the command and its arguments, after --')
    .action(lazyAction(rt, () => box().then((m) => m.exec)));
  boxes
    .command('ssh')
    .description('open a shell on the box (system ssh, only its pinned host key): cac box ssh <id> [-- <cmd>]')
    .argument('<id>', 'box id')
    .argument('[command...]', 'a command to run instead of a shell, after --')
    .action(lazyAction(rt, () => box().then((m) => m.ssh)));

  const pools = program.command('pool').description('warm pools of standby boxes per repo and base branch');
  pools
    .command('reconcile')
    .description('bring every [[pools]] entry to min_standby warm boxes, within max_instances')
    .option('--dry-run', 'print the plan and change nothing')
    .option('--watch', 'keep reconciling')
    .option('--interval <duration>', 'with --watch: time between runs (also the failure backoff unit)', '60s')
    .action(lazyAction(rt, () => pool().then((m) => m.reconcile)));
  pools
    .command('status')
    .description('per pool: standby, provisioning, claimed, failed, paused, latencies')
    .option('--prometheus', 'print the Prometheus text format (node_exporter textfile collector)')
    .action(lazyAction(rt, () => pool().then((m) => m.status)));
  pools
    .command('prepare')
    .description("make each pool's images once per devcontainer config (new boxes start from them)")
    .option('--repo <url>', 'only the pool of this repository')
    .option('--branch <name>', "with --repo: the pool's base branch")
    .option('--force', 'prepare even when the devcontainer config is unchanged')
    .action(lazyAction(rt, () => pool().then((m) => m.prepare)));
  for (const verb of ['pause', 'resume'] as const) {
    pools
      .command(verb)
      .description(verb === 'pause' ? 'stop creating boxes for a pool' : 'resume a paused pool and clear its failure count')
      .argument('<repo>', 'repository URL of the pool')
      .option('--branch <name>', "base branch of the pool (default: the repo's pool in [[pools]], else main)")
      .action(lazyAction(rt, () => pool().then((m) => m[verb])));
  }

  const envs = program.command('env').description('encrypted .env payloads for boxes');
  envs
    .command('keygen')
    .description('print a new master key (base64, 32 bytes)')
    .action(lazyAction(rt, () => env().then((m) => m.keygen)));
  envs
    .command('encrypt')
    .description('encrypt a .env payload with the newest master key')
    .option('--in <file>', 'plain .env file (default: stdin)')
    .option('--out <file>', 'write the envelope here (default: stdout)')
    .action(lazyAction(rt, () => env().then((m) => m.encrypt)));
  envs
    .command('check')
    .description('decrypt in memory and print only the key names')
    .argument('<file>', 'encrypted payload')
    .action(lazyAction(rt, () => env().then((m) => m.check)));
}
