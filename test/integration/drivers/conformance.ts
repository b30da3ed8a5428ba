// The ONE suite every VmDriver passes (docker, ssh-fleet, command), with real SSH: create is idempotent
// on the key, list finds what create made, destroy is idempotent, sshTarget logs in with the pinned
// host key (and a wrong pin is refused), and a VM whose box has no record is found as an orphan.
// The unit lane runs it on the in-memory FakeVmDriver too, without the two login cases (no sshd there).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sshLogin } from '../../../src/adapters/vm/ssh-probe.js';
import { planOrphans } from '../../../src/core/boxes/plan-pool.js';
import { isCacError } from '../../../src/errors.js';
import type { Vm, VmDriver, VmSpec } from '../../../src/ports/vm-driver.js';
import { newBoxId } from '../../../src/util/ids.js';
import type { KeyPair } from './test-run.js';

export interface DriverUnderTest {
  driver: VmDriver;
  /** cac's key pair: the public half goes to create, the private half logs in. */
  keys: KeyPair;
  /** Labels for every VM (at least cac.test-run). */
  labels: Record<string, string>;
}

const POOL = 'https://example.test/app.git#main';
const OTHER_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBLDkNIdqMQZS6BHDHm3KXSqleJ71WXFsKL/tTtkXBPa';
const login = (target: Parameters<typeof sshLogin>[0], keys: KeyPair) => sshLogin(target, keys.privateKey, { signal: AbortSignal.timeout(90_000), timeoutMs: 60_000 });

export function driverConformance(name: string, make: () => Promise<DriverUnderTest>, opts: { sshLogin?: boolean } = {}): void {
  describe(`VmDriver conformance: ${name}`, () => {
    let d: DriverUnderTest;
    let vm: Vm;
    const made = new Set<string>();
    const spec = (boxId: string): VmSpec => ({ boxId, poolKey: POOL, labels: d.labels, sshPublicKey: d.keys.publicKey });
    const create = async (boxId: string, key = `idem-${boxId}`): Promise<Vm> => {
      const created = await d.driver.create(spec(boxId), { idempotencyKey: key });
      made.add(created.vmRef);
      return created;
    };
    const ofBox = async (boxId: string) => (await d.driver.list()).filter((v) => v.boxId === boxId);

    beforeAll(async () => {
      d = await make();
      vm = await create(newBoxId());
    });
    afterAll(async () => {
      for (const ref of made) await d?.driver.destroy(ref).catch(() => undefined);
    });

    it('creates a running VM tagged with its box and pool', () => {
      expect(vm).toMatchObject({ boxId: expect.stringMatching(/^box_/), poolKey: POOL, state: 'running' });
      expect(Math.abs(vm.createdAt - Date.now())).toBeLessThan(10 * 60_000);
    });

    it('is idempotent on the key: again, and twice at once, it is the same VM', async () => {
      const again = await create(vm.boxId ?? '');
      expect(again.vmRef).toBe(vm.vmRef);
      const box = newBoxId();
      const [a, b] = await Promise.all([create(box), create(box)]);
      expect(a.vmRef).toBe(b.vmRef);
      expect((await ofBox(box)).map((v) => v.vmRef)).toEqual([a.vmRef]);
      await d.driver.destroy(a.vmRef);
    });

    it('lists what create made, with its box id and pool', async () => {
      const listed = await ofBox(vm.boxId ?? '');
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ vmRef: vm.vmRef, boxId: vm.boxId, poolKey: POOL });
      expect(await d.driver.get(vm.vmRef)).toMatchObject({ vmRef: vm.vmRef, state: 'running' });
    });

    if (opts.sshLogin !== false) {
      it('gives an SSH target that logs in with the pinned host key (a real login running true)', async () => {
        const target = await d.driver.sshTarget(vm, { timeoutMs: 60_000 });
        expect(target.hostKey).toMatch(/^ssh-ed25519 [A-Za-z0-9+/]+=*$/);
        await login(target, d.keys);
      });

      it("refuses a login when the pinned host key is not the host's", async () => {
        const target = await d.driver.sshTarget(vm, { timeoutMs: 60_000 });
        const error = await login({ ...target, hostKey: OTHER_KEY }, d.keys).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isCacError(error) && error.code).toBe('ERR_HOST_KEY_MISMATCH');
      });
    }

    it('destroys idempotently: the VM is gone from get and list, and a second destroy is fine', async () => {
      const doomed = await create(newBoxId());
      await d.driver.destroy(doomed.vmRef);
      await d.driver.destroy(doomed.vmRef);
      expect(await d.driver.get(doomed.vmRef)).toBeUndefined();
      expect((await d.driver.list()).map((v) => v.vmRef)).not.toContain(doomed.vmRef);
    });

    it('finds an orphan: a VM whose box has no record is listed with its box id and planned for destruction', async () => {
      const orphan = await create(newBoxId());
      const vms = (await d.driver.list()).map((v) => ({ vmRef: v.vmRef, boxId: v.boxId ?? '', createdAt: v.createdAt }));
      expect(vms).toContainEqual({ vmRef: orphan.vmRef, boxId: orphan.boxId, createdAt: expect.any(Number) });
      const plan = planOrphans(vms, [], Date.now() + 120_000, 60_000, { driver: d.driver.name, engine: null });
      expect(plan.destroyVms).toContainEqual({ vmRef: orphan.vmRef, reason: `no record for box ${orphan.boxId}` });
      await d.driver.destroy(orphan.vmRef);
    });
  });
}
