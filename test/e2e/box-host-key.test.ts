// Through bin/cac on the real dockerd: a standby box whose SSH host key is regenerated inside it is failed
// by the next `pool reconcile` (its standby check), replaced, and never handed out by `box request`.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { boxCli, poolToml, writeConfig, type BoxDoc } from '../helpers/box-cli.js';
import { boxHostKey, newRunId, removeRun } from '../helpers/box-run.js';
import { describeWith, engineEnv } from '../helpers/infra.js';

const RUN = newRunId('e2e-host-key');
const REPO = 'https://example.test/acme/host-key.git';

describeWith(['docker'], 'a standby box whose host key changed, through bin/cac', () => {
  const cli = boxCli(RUN, { CAC_BOX_INNER_DOCKER: '0' });
  writeConfig(cli.configFile, `[boxes]\nprovision = "vm"\n\n${poolToml(REPO, 1, 3)}`);
  afterAll(() => {
    removeRun(RUN);
    rmSync(cli.home, { recursive: true, force: true });
  });

  it('is failed by the next reconcile and replaced; a request gets the replacement', async () => {
    await cli.json(['pool', 'reconcile']);
    const [changed] = (await cli.boxes()).filter((b) => b.state === 'standby');
    if (!changed?.vmRef) throw new Error('no standby box');
    execFileSync('docker', ['exec', changed.vmRef, 'sh', '-c', "rm -f /etc/ssh/ssh_host_ed25519_key* && ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key"], {
      env: { ...process.env, ...engineEnv() },
    });
    expect(boxHostKey(changed.vmRef)).not.toBe(changed.sshTarget?.hostKey);

    const round = await cli.json<{ pools: Array<{ applied: { unfit: Array<{ id: string; reason: string }>; created: string[] } }> }>(['pool', 'reconcile'], 0);
    expect(round.pools[0]?.applied.unfit).toEqual([{ id: changed.id, reason: expect.stringMatching(/^failed its standby check: host key mismatch/) }]);
    expect(round.pools[0]?.applied.created).toHaveLength(1);
    const boxes = await cli.boxes();
    expect(boxes.find((b) => b.id === changed.id)).toMatchObject({ state: 'failed' });

    const grant = await cli.json<{ warm: boolean; box: BoxDoc }>(['box', 'request', '--repo', REPO, '--for', 'host-key']);
    expect(grant).toMatchObject({ warm: true, box: { state: 'ready', id: round.pools[0]?.applied.created[0] } });
  });
});
