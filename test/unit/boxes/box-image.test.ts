// The box image recipe as pure rules (hash, packages, import settings, mirrors, tags), the commands the
// builder runs (recorded, no engine), and the recipe the package ships.
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aptMirrors, boxImageState, importChanges, RECIPE_FILES, recipeHash, recipePackages, rootfsPrereqError } from '../../../src/core/boxes/box-image.js';
import { isImageTag, productBoxImage } from '../../../src/domain/box-image.js';
import { BoxImageEngine } from '../../../src/adapters/engine/box-image.js';
import { readRecipe, recipeDir } from '../../../src/app/box-image.js';
import { configSchema } from '../../../src/config/schema.js';
import { VERSION } from '../../../src/version.js';
import type { ExecOptions, ExecResult, Host } from '../../../src/ports/host.js';
import { RecordingHost } from '../../fakes/host.js';
import { runInProcess, tempHome } from '../../helpers/run-cli.js';

const files = [
  { name: 'Dockerfile', content: 'FROM debian\n' },
  { name: 'packages', content: 'git\n' },
];

describe('recipeHash', () => {
  const base = { source: 'rootfs' as const, files, host: ['mirror http://m/debian http://m/debian-security'] };

  it('is the same for the same recipe, whatever the order of its files', () => {
    expect(recipeHash(base)).toBe(recipeHash({ ...base, files: [...files].reverse() }));
    expect(recipeHash(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ['a file changes', { ...base, files: [files[0]!, { name: 'packages', content: 'git\ncurl\n' }] }],
    [
      'a file moves its bytes to another',
      {
        ...base,
        files: [
          { name: 'Dockerfile', content: 'FROM debiangit\n' },
          { name: 'packages', content: '' },
        ],
      },
    ],
    ['a host input changes', { ...base, host: ['mirror http://other/debian http://other/debian-security'] }],
    ['the way of building changes', { ...base, source: 'dockerfile' as const }],
  ])('differs when %s', (_what, changed) => {
    expect(recipeHash(changed)).not.toBe(recipeHash(base));
  });
});

describe('recipePackages', () => {
  it('reads one name a line, skipping comments and blank lines', () => {
    expect(recipePackages('# the list\ngit\n\nopenssh-server  # sshd\ndocker.io\n')).toEqual(['git', 'openssh-server', 'docker.io']);
  });

  it.each([['git;rm -rf /'], ['--include=x'], ['# only a comment']])('refuses %j with ERR_BOX_IMAGE_RECIPE', (text) => {
    expect(() => recipePackages(text)).toThrow(expect.objectContaining({ code: 'ERR_BOX_IMAGE_RECIPE' }));
  });
});

describe('importChanges', () => {
  it("takes the final stage's settings of the shipped Dockerfile, the recipe label first", () => {
    const dockerfile = readFileSync(join(recipeDir(), 'Dockerfile'), 'utf8');
    expect(importChanges(dockerfile, 'abc')).toEqual([
      'LABEL cac.recipe=abc',
      'ENV LANG=C.UTF-8',
      'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt',
      'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'VOLUME /var/lib/docker',
      'EXPOSE 22',
      'ENTRYPOINT ["/usr/local/bin/box-entrypoint"]',
    ]);
  });

  it('ignores the settings of earlier stages and file instructions', () => {
    const text = 'FROM a AS x\nENV X=1\nFROM b\nRUN echo \\\n  ENV Y=2\nCOPY . /x\nUSER cac\n';
    expect(importChanges(text, 'h')).toEqual(['LABEL cac.recipe=h', 'USER cac']);
  });
});

describe('boxImageState', () => {
  it('is missing, stale or current', () => {
    expect(boxImageState(undefined, 'h')).toBe('missing');
    expect(boxImageState({ recipe: undefined }, 'h')).toBe('stale');
    expect(boxImageState({ recipe: 'g' }, 'h')).toBe('stale');
    expect(boxImageState({ recipe: 'h' }, 'h')).toBe('current');
  });
});

describe('aptMirrors', () => {
  it('reads deb822 sources and takes the security archive from them', () => {
    const sources = 'Types: deb\nURIs: http://deb.example/debian\nSuites: bookworm bookworm-updates\n\nTypes: deb\nURIs: http://sec.example/debian-security/\nSuites: bookworm-security\n';
    expect(aptMirrors([sources])).toEqual({ mirror: 'http://deb.example/debian', security: 'http://sec.example/debian-security' });
  });

  it('reads one-line entries with options; the security archive defaults to the sibling of the mirror', () => {
    expect(aptMirrors(['# x\ndeb [arch=amd64 signed-by=/k.gpg] https://m.example/debian/ bookworm main\n'])).toEqual({
      mirror: 'https://m.example/debian',
      security: 'https://m.example/debian-security',
    });
  });

  it('is undefined without a Debian archive', () => {
    expect(aptMirrors(['deb http://ppa.example/ubuntu jammy main\n'])).toBeUndefined();
  });
});

describe('rootfsPrereqError', () => {
  const ok = { platform: 'linux', uid: 0, debian: true, missingPrograms: [] };

  it('is undefined on Debian as root with the programs', () => expect(rootfsPrereqError(ok)).toBeUndefined());

  it.each([
    [{ ...ok, uid: 1000 }, '--from-rootfs needs root (debootstrap and chroot need it)', 'sudo cac box image build --from-rootfs'],
    [
      { ...ok, uid: 1000, debian: false, missingPrograms: ['debootstrap'] },
      '--from-rootfs needs root (debootstrap and chroot need it), Debian (/etc/debian_version), debootstrap',
      'as root on Debian',
    ],
    [{ ...ok, missingPrograms: ['debootstrap'] }, '--from-rootfs needs debootstrap', 'apt-get install debootstrap'],
    [{ ...ok, platform: 'darwin' }, '--from-rootfs needs Linux', 'without --from-rootfs where a registry is reachable'],
  ])('%j: names what is missing', (facts, message, hint) => {
    expect(rootfsPrereqError(facts)).toMatchObject({ code: 'ERR_BOX_IMAGE_PREREQ', message, hint: expect.stringContaining(hint) });
  });
});

describe('image names', () => {
  it('the default box image is cac/box:<version>', () => {
    expect(productBoxImage('1.2.3')).toBe('cac/box:1.2.3');
    expect(productBoxImage('1.2.3+build.4')).toBe('cac/box:1.2.3-build.4');
    expect(configSchema.parse({}).boxes.docker.image).toBe(`cac/box:${VERSION}`);
  });

  it.each(['cac/box:0.1.0', 'cac-test/box:bookworm', 'registry.example.com:5000/team/cac-box:1', 'box'])('%s is a tag', (t) => expect(isImageTag(t)).toBe(true));
  it.each(['Cac/box', '-x', 'cac/box:', 'cac/box:-1', 'a b', 'cac/box@sha256:00', 'cac//box'])('%j is not', (t) => expect(isImageTag(t)).toBe(false));
});

describe('the shipped recipe', () => {
  it('has every file, its packages parse, and the package ships its directory', async () => {
    const recipe = await readRecipe(recipeDir());
    expect(recipe.map((f) => f.name)).toEqual([...RECIPE_FILES]);
    expect(recipePackages(recipe.find((f) => f.name === 'packages')!.content)).toEqual(expect.arrayContaining(['openssh-server', 'docker.io', 'git', 'sudo']));
    const pkg = JSON.parse(readFileSync(join(recipeDir(), '..', 'package.json'), 'utf8')) as { files: string[] };
    expect(pkg.files).toContain('box-image');
  });
});

/** Answers `docker image inspect` as given, everything else with exit 0. */
class ScriptedHost extends RecordingHost implements Host {
  constructor(private readonly inspect: ExecResult) {
    super('local');
  }
  override async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    await super.exec(argv, opts);
    return argv[1] === 'image' && argv[2] === 'inspect' ? this.inspect : { exitCode: 0, stdout: '', stderr: '' };
  }
}

const engine = (host: Host) => new BoxImageEngine({ host, dockerPath: 'docker', env: { DOCKER_HOST: 'unix:///x.sock' }, log: () => {} });

describe('BoxImageEngine', () => {
  it('inspect reads the id and the recipe labels; a missing image is undefined; a down engine is ERR_ENGINE_UNREACHABLE', async () => {
    const present = new ScriptedHost({ exitCode: 0, stdout: 'sha256:1|abc|rootfs\n', stderr: '' });
    expect(await engine(present).inspect('cac/box:1')).toEqual({ id: 'sha256:1', recipe: 'abc', source: 'rootfs' });
    expect(present.calls[0]?.opts.env).toEqual({ DOCKER_HOST: 'unix:///x.sock' });
    const unlabelled = new ScriptedHost({ exitCode: 0, stdout: 'sha256:2|<no value>|<no value>\n', stderr: '' });
    expect(await engine(unlabelled).inspect('x')).toEqual({ id: 'sha256:2', recipe: undefined, source: undefined });
    expect(await engine(new ScriptedHost({ exitCode: 1, stdout: '', stderr: 'Error: No such image: x' })).inspect('x')).toBeUndefined();
    await expect(engine(new ScriptedHost({ exitCode: 1, stdout: '', stderr: 'Cannot connect to the Docker daemon at unix:///x.sock' })).inspect('x')).rejects.toMatchObject({
      code: 'ERR_ENGINE_UNREACHABLE',
    });
  });

  it('a Dockerfile build labels the image with the hash, passes the Node image and a context holding the recipe', async () => {
    const host = new RecordingHost();
    let context: string[] = [];
    host.exec = async (argv, opts = {}) => {
      host.calls.push({ argv, opts });
      context = readdirSync(argv[argv.length - 1]!).sort();
      return { exitCode: 0, stdout: '', stderr: '' };
    };
    await engine(host).buildFromDockerfile({ tag: 'cac/box:1', hash: 'h1', recipeDir: recipeDir(), files: RECIPE_FILES, caDir: undefined, buildArgs: { NODE_IMAGE: 'node:20-bookworm-slim' } });
    const argv = host.calls[0]!.argv;
    expect(argv.slice(0, -1)).toEqual([
      'docker',
      'build',
      '--tag',
      'cac/box:1',
      '--label',
      'cac.recipe=h1',
      '--label',
      'cac.recipe.source=dockerfile',
      '--build-arg',
      'NODE_IMAGE=node:20-bookworm-slim',
    ]);
    expect(context).toEqual(['Dockerfile', 'box-entrypoint', 'cas', 'packages', 'provision.sh']);
  });

  it('a failed Dockerfile build that could not pull says to build --from-rootfs', async () => {
    const host = new ScriptedHost({ exitCode: 0, stdout: '', stderr: '' });
    host.exec = async () => ({ exitCode: 1, stdout: '', stderr: 'ERROR: failed to resolve source metadata for docker.io/library/debian:bookworm-slim: dial tcp: lookup registry-1.docker.io' });
    await expect(engine(host).buildFromDockerfile({ tag: 't', hash: 'h', recipeDir: recipeDir(), files: RECIPE_FILES, caDir: undefined, buildArgs: {} })).rejects.toMatchObject({
      code: 'ERR_BOX_IMAGE_BUILD',
      hint: expect.stringContaining('--from-rootfs'),
    });
  });

  it('a rootfs build runs debootstrap, provision.sh in a chroot with the mirrors, then tar | docker import with the changes', async () => {
    const host = new RecordingHost();
    const work = mkdtempSync(join(tmpdir(), 'cac-box-image-test-'));
    const steps: string[] = [];
    await engine(host).buildFromRootfs({
      tag: 'cac/box:1',
      changes: ['LABEL cac.recipe=h1', 'EXPOSE 22'],
      recipeDir: recipeDir(),
      files: RECIPE_FILES,
      caDir: undefined,
      packages: ['git', 'sudo'],
      mirror: { mirror: 'http://m/debian', security: 'http://m/debian-security' },
      node: { binary: process.execPath, npmDir: '/nonexistent/npm' },
      workDir: work,
      logFile: join(work, 'build.log'),
      step: (t) => void steps.push(t),
    });
    const argvs = host.calls.map((c) => c.argv);
    const rootfs = argvs[0]![argvs[0]!.length - 2]!;
    expect(rootfs.startsWith(join(work, 'rootfs-'))).toBe(true);
    expect(argvs[0]).toEqual(['debootstrap', '--variant=minbase', '--include=git,sudo', `--cache-dir=${join(work, 'debs')}`, 'bookworm', rootfs, 'http://m/debian']);
    const chroot = host.calls.find((c) => c.argv.includes('chroot'))!;
    expect(chroot.argv).toEqual(['env', '-u', 'TMPDIR', 'chroot', rootfs, '/bin/bash', '/tmp/cac-box-image/provision.sh']);
    expect(chroot.opts.env).toEqual({ APT_MIRROR: 'http://m/debian', APT_SECURITY_MIRROR: 'http://m/debian-security' });
    const imp = host.calls.find((c) => c.argv[0] === 'bash')!;
    expect(imp.argv.slice(4)).toEqual([rootfs, 'docker', 'cac/box:1', '-c', 'LABEL cac.recipe=h1', '-c', 'EXPOSE 22']);
    expect(imp.opts.env).toEqual({ DOCKER_HOST: 'unix:///x.sock' });
    expect(argvs[argvs.length - 1]).toEqual(['rm', '-rf', '--one-file-system', rootfs]);
    expect(steps).toHaveLength(3);
  });
});

describe('cac box image: bad input exits 2 naming the flag', () => {
  it.each([['build'], ['status']])('%s --tag', async (verb) => {
    const { env } = tempHome();
    const r = await runInProcess(['box', 'image', verb, '--tag', 'Not A/tag'], env);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toContain('error: --tag: not an image name: "Not A/tag"');
  });
});
