// The driver conformance suite on ssh-fleet (hosts = box containers started BY THE TEST, reached over
// real SSH), plus what only a fleet has: unhealthy hosts, cleanup on a host with its own engine (agent
// logins wiped before the host is freed), a
// second cac finding a lost box by its state file, two drivers on one store, and doctor's row.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalHost } from '../../../src/adapters/host/local.js';
import { SqliteAgentBoxStore } from '../../../src/adapters/store/sqlite.js';
import { fleetHosts, type FleetHostEntry } from '../../../src/adapters/vm/fleet-hosts.js';
import { SshFleetVmDriver } from '../../../src/adapters/vm/ssh-fleet.js';
import { probeVmDriver } from '../../../src/app/driver-probe.js';
import type { SshTarget } from '../../../src/domain/box.js';
import { planOrphans } from '../../../src/core/boxes/plan-pool.js';
import { defaultConfig } from '../../../src/config/defaults.js';
import { isCacError } from '../../../src/errors.js';
import { credentialHomePaths } from '../../../src/core/agents/presets.js';
import { AGENTS_ENV_FILE } from '../../../src/core/agents/finish-script.js';
import { describeWith } from '../../helpers/infra.js';
import { driverConformance } from './conformance.js';
import { execIn, keyPair, removeRunContainers, RUN_LABELS, startBoxHosts } from './test-run.js';

const WRONG_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBLDkNIdqMQZS6BHDHm3KXSqleJ71WXFsKL/tTtkXBPa';

describeWith(['docker'], 'ssh-fleet driver', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cac-fleet-'));
  const identity = keyPair('fleet-identity');
  const cac = keyPair('cac');
  const identityFile = join(dir, 'fleet_ed25519');
  let hosts: SshTarget[] = [];
  let stores = 0;
  const entry = (t: SshTarget, over: Partial<FleetHostEntry> = {}): FleetHostEntry => ({
    host: t.host,
    port: t.port,
    user: t.user,
    host_key: t.hostKey,
    identity_file: identityFile,
    labels: [],
    ...over,
  });
  const store = () => new SqliteAgentBoxStore(join(dir, `boxes-${stores++}.db`));
  const driver = (entries: FleetHostEntry[], leases = store()) => new SshFleetVmDriver({ hosts: fleetHosts(entries), leases, privateKey: async () => cac.privateKey, scope: RUN_LABELS });
  const spec = (boxId: string) => ({ boxId, poolKey: 'https://example.test/app.git#main', labels: RUN_LABELS, sshPublicKey: cac.publicKey });

  beforeAll(async () => {
    writeFileSync(identityFile, identity.privateKey, { mode: 0o600 });
    hosts = await startBoxHosts(3, { authorizedKey: identity.publicKey });
  });
  afterAll(async () => {
    await removeRunContainers();
    rmSync(dir, { recursive: true, force: true });
  });

  driverConformance('ssh-fleet', async () => ({ driver: driver(hosts.map((h) => entry(h))), keys: cac, labels: RUN_LABELS }));

  describe('fleet hosts', () => {
    it('marks a host whose host key is not the pinned one unhealthy, and leases the next', async () => {
      const leases = store();
      const [h1, h2] = hosts as [SshTarget, SshTarget];
      const d = driver([entry(h1, { user: 'nobody', host_key: WRONG_KEY }), entry(h2)], leases);
      const vm = await d.create(spec('box_fleetwrong01'), { idempotencyKey: 'wrong' });
      expect(vm.vmRef).toBe(`cac@127.0.0.1:${h2.port}#box_fleetwrong01`);
      const bad = (await leases.listFleetHosts()).find((h) => h.hostId.startsWith('nobody@'));
      expect(bad).toMatchObject({ boxId: null, healthy: false, reason: expect.stringMatching(new RegExp(`^host key mismatch for nobody@127\\.0\\.0\\.1:${h1.port}: `)) });
      await d.destroy(vm.vmRef);
      await leases.close();
    });

    it('two drivers on one store (two cac processes) never lease one host', async () => {
      const file = join(dir, 'shared.db');
      const [a, b] = [new SqliteAgentBoxStore(file), new SqliteAgentBoxStore(file)];
      const entries = hosts.slice(0, 2).map((h) => entry(h));
      const [da, db] = [driver(entries, a), driver(entries, b)];
      const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => (i % 2 ? da : db).create(spec(`box_shared0000${i}`), { idempotencyKey: `s${i}` })));
      const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      expect(won.map((v) => v.vmRef.split('#')[0]).sort()).toEqual(entries.map((e) => `cac@127.0.0.1:${e.port}`).sort());
      for (const r of results) if (r.status === 'rejected') expect(isCacError(r.reason) && r.reason.code).toBe('ERR_NO_CAPACITY');
      for (const vm of won) await da.destroy(vm.vmRef);
      await a.close();
      await b.close();
    });

    it('a cac whose store lost the box finds it by its state file as an orphan, and its destroy frees the host', async () => {
      const first = driver([entry(hosts[0]!)]);
      const vm = await first.create(spec('box_lostbox00001'), { idempotencyKey: 'lost' });
      const second = driver([entry(hosts[0]!)]);
      const vms = (await second.list()).map((v) => ({ vmRef: v.vmRef, boxId: v.boxId ?? '', createdAt: v.createdAt }));
      expect(vms).toEqual([{ vmRef: vm.vmRef, boxId: 'box_lostbox00001', createdAt: vm.createdAt }]);
      expect(planOrphans(vms, [], Date.now() + 120_000, 60_000, { driver: second.name, engine: null }).destroyVms).toEqual([{ vmRef: vm.vmRef, reason: 'no record for box box_lostbox00001' }]);
      await second.destroy(vm.vmRef);
      expect(await second.list()).toEqual([]);
      const next = await second.create(spec('box_afterlost001'), { idempotencyKey: 'after' });
      expect(next.vmRef.split('#')[0]).toBe(vm.vmRef.split('#')[0]);
      await second.destroy(next.vmRef);
    });

    it("destroy removes the box's containers, its Compose projects and work folder on a host with its own engine, and nothing else", async () => {
      const [host] = await startBoxHosts(1, { authorizedKey: identity.publicKey, dockerd: true });
      const d = driver([entry(host!)]);
      const vm = await d.create(spec('box_cleanup00001'), { idempotencyKey: 'cleanup' });
      // a devcontainer of this box, one of another box, and the box's work folder (no registry: an empty image)
      await execIn(
        host!,
        `for i in $(seq 100); do docker info >/dev/null 2>&1 && break; sleep 0.2; done
        tar -cf - -T /dev/null | docker import - cac-test/empty:1 >/dev/null
        docker create --label cac.box=box_cleanup00001 cac-test/empty:1 /none >/dev/null
        docker create --label cac.box=box_someoneelse --label com.docker.compose.project=p2 cac-test/empty:1 /none >/dev/null
        mkdir -p ~/cac/box_cleanup00001/repo ~/cac/box_someoneelse
        # a Compose dev container: only its service container carries cac.box; the cache service, the
        # project's network and volume carry Compose's project label (another box's project stays)
        for p in p1 p2; do
          docker network create --label com.docker.compose.project=$p \${p}_default >/dev/null
          docker volume create --label com.docker.compose.project=$p \${p}_data >/dev/null
          docker create --label com.docker.compose.project=$p --label com.docker.compose.service=cache cac-test/empty:1 /none >/dev/null
        done
        docker create --label cac.box=box_cleanup00001 --label com.docker.compose.project=p1 cac-test/empty:1 /none >/dev/null`,
      );
      await d.destroy(vm.vmRef);
      const left = await execIn(
        host!,
        `docker ps -a --format '{{.Label "cac.box"}}:{{.Label "com.docker.compose.project"}}' | sort
        for k in network volume; do docker $k ls -q --filter label=com.docker.compose.project; done
        ls ~/cac; ls ~/.cac`,
      );
      expect(left.split('\n').filter(Boolean)).toEqual([':p2', 'box_someoneelse:p2', expect.stringMatching(/^[0-9a-f]{12}$/), 'p2_data', 'box_someoneelse']);
      await d.destroy(vm.vmRef);
    });

    it('destroy wipes agent logins before the host is freed: in the homes of the box container (a bind mount outlives it), its volumes, the login home', async () => {
      const [host] = await startBoxHosts(1, { authorizedKey: identity.publicKey, dockerd: true });
      const wipe = credentialHomePaths(AGENTS_ENV_FILE);
      const d = new SshFleetVmDriver({ hosts: fleetHosts([entry(host!)]), leases: store(), privateKey: async () => cac.privateKey, scope: RUN_LABELS, wipe });
      const vm = await d.create(spec('box_wipe00000001'), { idempotencyKey: 'wipe' });
      // no registry: an image of the host's own dash and rm (what the in-container wipe needs)
      await execIn(
        host!,
        `set -e
        for i in $(seq 100); do docker info >/dev/null 2>&1 && break; sleep 0.2; done
        r=$(mktemp -d); mkdir -p $r/bin $r/etc $r/root $r/home/dev
        cp /bin/dash $r/bin/sh; cp /bin/rm $r/bin/rm
        for l in $(ldd /bin/dash /bin/rm | grep -o '/[^ :]*\\.so[.0-9]*' | sort -u); do mkdir -p $r$(dirname $l); cp -L $l $r$l; done
        printf 'root:x:0:0::/root:/bin/sh\\ndev:x:1000:1000::/home/dev:/bin/sh\\n' > $r/etc/passwd
        tar -C $r -cf - . | docker import - cac-test/tiny:1 >/dev/null
        mkdir -p /tmp/bound ~/.claude ~/cac/box_wipe00000001/repo
        c=$(docker run -d -i --label cac.box=box_wipe00000001 -v box-claude:/home/dev/.claude -v /tmp/bound:/home/dev/.codex cac-test/tiny:1 sh -c 'read x')
        docker exec $c sh -c 'echo t > /home/dev/.claude/.credentials.json; echo t > /home/dev/.codex/auth.json; echo t > /root/.claude.json; echo keep > /home/dev/.codex/config.toml'
        docker volume create other-box >/dev/null
        docker create --label cac.box=box_someoneelse -v other-box:/x cac-test/tiny:1 sh >/dev/null
        echo t > ~/.claude/.credentials.json; echo keep > ~/.claude/settings.json; echo SECRET=1 > ~/cac/box_wipe00000001/repo/.env`,
      );
      await d.destroy(vm.vmRef);
      const left = await execIn(host!, 'ls -A /tmp/bound ~/.claude ~/cac; docker volume ls -q; docker ps -aq --filter label=cac.box=box_wipe00000001');
      expect(left.split('\n').filter(Boolean)).toEqual(['/home/cac/.claude:', 'settings.json', '/home/cac/cac:', '/tmp/bound:', 'config.toml', 'other-box']);
      // the host is free again
      expect((await d.create(spec('box_wipe00000002'), { idempotencyKey: 'wipe2' })).vmRef.split('#')[0]).toBe(vm.vmRef.split('#')[0]);
    });

    it('doctor: hosts reachable with their pinned keys, a wrong pin named (a warning while others answer)', async () => {
      const base = defaultConfig();
      const fleet = [entry(hosts[0]!), entry(hosts[1]!, { user: 'nobody', host_key: WRONG_KEY })];
      const row = await probeVmDriver({ ...base, boxes: { ...base.boxes, driver: 'ssh-fleet', fleet } }, { host: new LocalHost(), env: {}, stateDir: dir });
      expect(row).toMatchObject({ name: 'vm driver', status: 'warning' });
      expect(row.detail).toMatch(new RegExp(`^ssh-fleet: 1 of 2 failed: nobody@127\\.0\\.0\\.1:${hosts[1]!.port}: host key mismatch for nobody@`));
      const good = await probeVmDriver({ ...base, boxes: { ...base.boxes, driver: 'ssh-fleet', fleet: [entry(hosts[2]!)] } }, { host: new LocalHost(), env: {}, stateDir: dir });
      expect(good).toEqual({ name: 'vm driver', status: 'ok', detail: `ssh-fleet: cac@127.0.0.1:${hosts[2]!.port} reachable with its pinned key, free` });
    });
  });
});
