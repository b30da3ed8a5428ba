// Fakes of OUR ports for the provisioner's unit tests: a box Host that records every exec (argv, env
// and the stdin bytes, so tests can prove where a secret went) and answers the provisioner's scripts,
// a RepoSource and an ImageSource in memory, and a harness around the box store fakes.
import { Readable } from 'node:stream';
import type { ExecOptions, ExecResult } from '../../src/ports/host.js';
import type { RepoSource } from '../../src/ports/repo-source.js';
import type { ImageSource } from '../../src/ports/image-source.js';
import { BoxConnections, type ClosableHost } from '../../src/core/provision/connections.js';
import { SshProvisioner, type SshProvisionerDeps } from '../../src/core/provision/provisioner.js';
import { CHECKOUT, CLONE_FETCH, FAST_FORWARD, HEAD_READ, OBJECTS_AT, PUSH_FETCH, SHOW_AT, SWITCH, WRITE_ENV } from '../../src/core/provision/repo-scripts.js';
import { ENSURE_CLI } from '../../src/core/provision/devcontainer-cli.js';
import { WRITE_FILE } from '../../src/core/provision/box-workspace.js';
import { CONFIG_OBJECTS, READ_MARKER } from '../../src/core/provision/prepare-scripts.js';
import type { SshTarget } from '../../src/domain/box.js';
import { FakeEngine } from './engine.js';
import { manualClock, MemoryBoxStore } from './boxes.js';
import { REPO, T0 } from './box.js';
import { recordingReporter } from './reporter.js';

export interface Call {
  /** What ran: the script's name for the provisioner's scripts, else argv[0]. */
  what: string;
  argv: string[];
  env: Record<string, string>;
  /** The stdin bytes as they were when exec was called. */
  stdin: string;
}

const SCRIPTS = new Map([
  [PUSH_FETCH, 'push-fetch'],
  [CLONE_FETCH, 'clone-fetch'],
  [CHECKOUT, 'checkout'],
  [SWITCH, 'switch'],
  [WRITE_ENV, 'write-env'],
  [ENSURE_CLI, 'ensure-cli'],
  [READ_MARKER, 'prepared-marker'],
  [CONFIG_OBJECTS, 'config-objects'],
  [WRITE_FILE, 'write-file'],
  [HEAD_READ, 'head-read'],
  [FAST_FORWARD, 'fast-forward'],
  [SHOW_AT, 'show-at'],
  [OBJECTS_AT, 'objects-at'],
]);

/** The commit a fake checkout is at. */
export const FAKE_COMMIT = 'c0'.repeat(20);

const DEVCONTAINER_JSON = '{ "image": "cac-test/base:bookworm", "remoteUser": "dev" }';

const ok = (stdout = ''): ExecResult => ({ exitCode: 0, stdout, stderr: '' });

/** A box reached over SSH, in memory. `answer` may override any call's result. */
export class FakeBoxHost implements ClosableHost {
  readonly kind = 'ssh' as const;
  calls: Call[] = [];
  closed = 0;
  home = '/home/cac';
  /** The checkout's .devcontainer/devcontainer.json; undefined: the repo has none. */
  devcontainerJson: string | undefined = DEVCONTAINER_JSON;
  /** Image ids in the box's engine. */
  images = new Map<string, string>();
  configChanged = false;
  /** The base branch's head a fetch brings (HEAD_READ); the checkout is at FAKE_COMMIT. */
  fetchedHead = FAKE_COMMIT;
  answer: (call: Call) => ExecResult | undefined = () => undefined;

  constructor(readonly target: SshTarget) {}

  /** Execs started (a call is recorded once its stdin ended). */
  started = 0;

  async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    this.started += 1;
    const stdin = await bytesOf(opts.stdin);
    const what = argv[0] === 'sh' && argv[1] === '-c' ? (SCRIPTS.get(argv[2] ?? '') ?? 'sh') : (argv[0] ?? '');
    const call: Call = { what, argv: [...argv], env: { ...opts.env }, stdin };
    this.calls.push(call);
    return this.answer(call) ?? this.default(call);
  }

  async putFiles(): Promise<void> {}

  async close(): Promise<void> {
    this.closed += 1;
  }

  ran(what: string): Call[] {
    return this.calls.filter((c) => c.what === what);
  }

  private default(call: Call): ExecResult {
    const [, , , , folder = ''] = call.argv;
    switch (call.what) {
      case 'push-fetch':
      case 'clone-fetch':
        return ok(`${this.home}/${folder}\n`);
      case 'checkout':
        return ok(`${FAKE_COMMIT}\n`);
      case 'objects-at':
        // as the script: each path absent at the revision
        return ok(
          call.argv
            .slice(6)
            .map((p) => `${p} -\n`)
            .join(''),
        );
      case 'head-read': {
        // at head: the two commits; behind: then each path absent, nothing listed, no config text
        const reads = this.fetchedHead === FAKE_COMMIT ? '' : `${'-\n'.repeat(Number(call.argv[8]))}=config\n`;
        return ok(`fetched\n${FAKE_COMMIT}\n${this.fetchedHead}\n${reads}`);
      }
      case 'switch': {
        // fetched, the config compared, FAKE_COMMIT checked out, each path absent, nothing listed, no config text
        const paths = Number(call.argv[8]);
        return ok(`fetched\n${this.configChanged ? 'changed' : 'same'}\n${FAKE_COMMIT}\n${'-\n'.repeat(paths)}=config\n`);
      }
      case 'ensure-cli':
        return ok('cli\t/usr/local/bin/devcontainer\n');
      case 'cat': {
        const found = call.argv[2]?.endsWith('/.devcontainer/devcontainer.json') ? this.devcontainerJson : undefined;
        return found === undefined ? { exitCode: 1, stdout: '', stderr: 'No such file' } : ok(found);
      }
      case 'test':
        return { exitCode: call.argv[2]?.startsWith(`${this.home}/`) ? 0 : 1, stdout: '', stderr: '' };
      case 'docker': {
        const image = call.argv.at(-1) ?? '';
        if (call.argv[1] === 'image') return this.images.has(image) ? ok(`${this.images.get(image)}\n`) : { exitCode: 1, stdout: '', stderr: 'No such image' };
        return ok('Loaded image\n');
      }
      default:
        return ok();
    }
  }
}

async function bytesOf(stdin: ExecOptions['stdin']): Promise<string> {
  if (stdin === undefined) return '';
  if (typeof stdin === 'string') return stdin;
  if (stdin instanceof Uint8Array) return Buffer.from(stdin).toString('utf8');
  const chunks: Buffer[] = [];
  for await (const c of stdin as Readable) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** A RepoSource whose bundles are the text `bundle:<url>:<branches>`. */
class FakeRepoSource implements RepoSource {
  bundles: string[] = [];
  disposed = 0;
  /** Awaited before a bundle is made (a test holds it, or fails it). */
  ready: Promise<void> = Promise.resolve();
  async bundle(repoUrl: string, branches: readonly string[]) {
    const text = `bundle:${repoUrl}:${branches.join(',')}`;
    await this.ready;
    this.bundles.push(text);
    return { open: () => Readable.from([text]), dispose: async () => void (this.disposed += 1) };
  }
  /** Object ids per `<branch>:<path>`, as a test sets them. */
  objects = new Map<string, string>();
  async objectIds(_repoUrl: string, branch: string, paths: readonly string[]) {
    return paths.flatMap((p) => this.objects.get(`${branch}:${p}`) ?? []);
  }
  /** Branch heads, as a test sets them; `heads` read counts each call. */
  heads = new Map<string, string>();
  headReads = 0;
  async head(_repoUrl: string, branch: string) {
    this.headReads += 1;
    const sha = this.heads.get(branch);
    if (!sha) throw new Error(`no branch ${branch}`);
    return sha;
  }
  /** Commits behind, per `<from>..<to>`; null when unset. */
  counts = new Map<string, number>();
  async behind(_repoUrl: string, from: string, to: string) {
    return this.counts.get(`${from}..${to}`) ?? null;
  }
}

class FakeImageSource implements ImageSource {
  ids = new Map<string, string>([['cac-test/base:bookworm', 'sha256:base']]);
  saved: string[] = [];
  async imageId(image: string) {
    return this.ids.get(image);
  }
  save(image: string) {
    this.saved.push(image);
    return { stream: Readable.from([`tar:${image}`]), done: Promise.resolve() };
  }
}

export const TARGET: SshTarget = { host: '127.0.0.1', port: 2201, user: 'cac', hostKey: 'ssh-ed25519 KEY-vm-1' };

/** A store, one box Host per SSH target, and a provisioner wired to fakes. */
export function provisionHarness(overrides: Partial<SshProvisionerDeps> = {}) {
  const clock = manualClock(T0);
  const store = new MemoryBoxStore(clock.now);
  const hosts: FakeBoxHost[] = [];
  const connections = new BoxConnections(async (t) => {
    const h = new FakeBoxHost(t);
    hosts.push(h);
    return h;
  });
  const source = new FakeRepoSource();
  const images = new FakeImageSource();
  const engine = new FakeEngine();
  const { reporter, events } = recordingReporter();
  const deps: SshProvisionerDeps = {
    connections,
    source,
    images,
    cliVersion: '0.89.0',
    engine: () => engine,
    preloadImages: ['cac-test/base:bookworm'],
    reporter,
    now: clock.now,
    ...overrides,
  };
  const provisioner = new SshProvisioner(deps);
  /** A box at ssh_ready: its SSH target recorded, in `state`. */
  const box = async (opts: { branch?: string; repoUrl?: string; claimant?: string } = {}) => {
    const b = await store.createBox(
      {
        repoUrl: opts.repoUrl ?? REPO,
        baseBranch: 'main',
        ...(opts.branch ? { branch: opts.branch } : {}),
        ...(opts.claimant ? { claimant: opts.claimant, leaseExpiresAt: T0 + 3_600_000 } : {}),
        deadlineAt: T0 + 600_000,
        now: T0,
      },
      { idempotencyKey: `k${Math.random()}` },
    );
    return (await store.update(b.id, { patch: { sshTarget: TARGET, vmRef: 'vm-1' }, now: T0 })) ?? b;
  };
  return { clock, store, hosts, connections, source, images, engine, events, deps, provisioner, box };
}
