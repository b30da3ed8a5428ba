// `cac box image build --from-rootfs` through bin/cac on the real dockerd (README "The box image"): one
// real build from the recipe the package ships (debootstrap, chroot, docker import), a second call that
// reuses it by its recipe hash, `status` and `doctor` agreeing, and a docker-driver pool box from the
// built tag reaching standby with what the provisioner needs on it (the cac user over the pinned key,
// Node ≥ 20, git, passwordless sudo, Docker and Compose).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { boxCli, poolToml, tomlString, writeConfig, type BoxDoc } from '../helpers/box-cli.js';
import { newRunId, removeRun, sshPinned } from '../helpers/box-run.js';
import { describeWith, engineEnv } from '../helpers/infra.js';
import { REPO_ROOT } from '../helpers/run-cli.js';

const RUN = newRunId('e2e-box-image');
const TAG = 'cac-test/box:e2e-image';
const REPO = 'https://example.test/acme/box-image.git';
const BUILD_TIMEOUT = 20 * 60_000;

interface BuildDoc {
  outcome: string;
  tag: string;
  id: string;
  recipeHash: string;
  source: string;
  action: 'built' | 'reused';
}

const docker = (args: string[]) => execFileSync('docker', args, { env: { ...process.env, ...engineEnv() }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
type DoctorDoc = { checks: Array<{ name: string; status: string; detail: string; hint?: string }> };

const removeImage = () => {
  try {
    docker(['image', 'rm', '-f', TAG]);
  } catch {
    // not there
  }
};

describeWith(['docker'], 'cac box image build --from-rootfs (bin/cac)', () => {
  // debootstrap's package cache is the one scripts/infra keeps: the packages are fetched once per machine
  const cli = boxCli(RUN, { XDG_CACHE_HOME: join(REPO_ROOT, '.infra', 'cache') });
  writeConfig(cli.configFile, `[boxes]\nprovision = "vm"\n\n[boxes.docker]\nimage = ${tomlString(TAG)}\n\n${poolToml(REPO, 1, 1)}`);
  afterAll(() => {
    removeRun(RUN);
    removeImage();
  });
  let built: BuildDoc;
  // doctor's exit depends on the rest of the machine; its box image row is what counts here
  const doctor = async (): Promise<DoctorDoc> => JSON.parse((await cli.cac(['doctor', '--json'])).stdout) as DoctorDoc;

  it(
    'builds the image from the shipped recipe, then reuses it while the recipe hash is the same',
    async () => {
      removeImage();
      const before = await cli.json<{ state: string }>(['box', 'image', 'status', '--from-rootfs']);
      expect(before).toMatchObject({ outcome: 'success', tag: TAG, state: 'missing', id: null });
      const doctorBefore = await doctor();
      expect(doctorBefore.checks.find((c) => c.name === 'box image')).toMatchObject({ status: 'error', hint: expect.stringContaining('cac box image build') });

      const r = await cli.cac(['box', 'image', 'build', '--from-rootfs', '--json'], { timeoutMs: BUILD_TIMEOUT });
      expect(r.exitCode, r.stderr).toBe(0);
      built = JSON.parse(r.stdout) as BuildDoc;
      expect(built).toMatchObject({ outcome: 'success', tag: TAG, source: 'rootfs', action: 'built' });
      expect(built.recipeHash).toMatch(/^[0-9a-f]{64}$/);
      // progress went to stderr, the document alone to stdout
      expect(r.stderr).toContain('debootstrap bookworm');
      expect(docker(['image', 'inspect', '--format', '{{.Id}} {{index .Config.Labels "cac.recipe"}} {{json .Config.Entrypoint}} {{json .Config.Volumes}}', TAG])).toBe(
        `${built.id} ${built.recipeHash} ["/usr/local/bin/box-entrypoint"] {"/var/lib/docker":{}}`,
      );

      const again = await cli.json<BuildDoc>(['box', 'image', 'build', '--from-rootfs']);
      expect(again).toMatchObject({ tag: TAG, id: built.id, recipeHash: built.recipeHash, action: 'reused' });
      expect(await cli.json(['box', 'image', 'status', '--from-rootfs'])).toMatchObject({ state: 'current', id: built.id, imageRecipeHash: built.recipeHash });
    },
    BUILD_TIMEOUT + 60_000,
  );

  it('doctor reports the image present, and a pool box of the built tag reaches standby with what the provisioner needs', async () => {
    expect(built, 'the build above').toBeDefined();
    const after = await doctor();
    expect(after.checks.find((c) => c.name === 'box image')).toMatchObject({ status: 'ok', detail: expect.stringContaining(`${TAG} present, recipe ${built.recipeHash.slice(0, 12)}`) });

    const round = await cli.json<{ pools: Array<{ applied: { provisioned: Array<{ outcome: string }> } }> }>(['pool', 'reconcile']);
    expect(round.pools[0]?.applied.provisioned).toEqual([expect.objectContaining({ outcome: 'standby' })]);
    const [box] = (await cli.boxes()).filter((b: BoxDoc) => b.state === 'standby');
    expect(box?.sshTarget).toBeTruthy();
    const image = docker(['inspect', '--format', '{{.Config.Image}}', box!.vmRef!]);
    expect(image).toBe(TAG);
    const probe = sshPinned(
      box!.sshTarget!,
      cli.keyFile,
      'id -un; node -e "process.stdout.write(String(process.versions.node.split(\'.\')[0] >= 20))"; echo; git --version | cut -d" " -f1-2; sudo -n true && echo sudo; ls /usr/sbin/dockerd; command -v docker-compose npm',
    );
    expect(probe.status, probe.stderr).toBe(0);
    expect(probe.stdout.split('\n')).toEqual(['cac', 'true', 'git version', 'sudo', '/usr/sbin/dockerd', '/usr/bin/docker-compose', '/usr/local/bin/npm', '']);
  }, 180_000);
});
