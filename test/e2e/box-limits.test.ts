// [boxes] max_per_claimant and max_live through bin/cac on real docker boxes: a second box for the same
// --for fails with ERR_NO_CAPACITY (exit 1) naming the limit; a reconcile stops at max_live across all
// pools and says the pool is held, in its plan and in `pool status`.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { boxCli, poolToml, writeConfig, type BoxCli, type BoxDoc, type ErrorDoc } from '../helpers/box-cli.js';
import { newRunId, removeRun } from '../helpers/box-run.js';
import { describeWith } from '../helpers/infra.js';

const RUN = newRunId('e2e-box-limits');
const REPO = 'https://example.test/acme/limits.git';
const COLD = 'https://example.test/acme/cold.git';

interface PoolRow {
  poolKey: string;
  held: string | null;
  standby: number;
  provisioning: number;
  boxHoursLastDay: number;
}
interface ReconcileDoc {
  pools: Array<{ poolKey: string; plan: { creates: number; held?: string; notes: string[] }; applied?: { created: string[] } }>;
}

/** A temp HOME (its own store) with `[boxes]` lines added to a VM-only docker config. */
function cliWith(boxes: string, pools = ''): BoxCli {
  const cli = boxCli(RUN, { CAC_BOX_INNER_DOCKER: '0' });
  writeConfig(cli.configFile, `[boxes]\nprovision = "vm"\n${boxes}\n${pools}`);
  return cli;
}

async function cleanUp(cli: BoxCli): Promise<void> {
  for (const b of await cli.boxes()) if (b.state !== 'destroyed') await cli.cac(['box', 'release', b.id]);
  rmSync(cli.home, { recursive: true, force: true });
}

describeWith(['docker'], '[boxes] limits through bin/cac', () => {
  afterAll(() => removeRun(RUN));

  describe('max_per_claimant = 1', () => {
    const cli = cliWith('max_per_claimant = 1');
    afterAll(() => cleanUp(cli));

    it('refuses a second box for the same --for with ERR_NO_CAPACITY (exit 1) naming the limit; another claimant gets one', async () => {
      const first = await cli.json<{ box: BoxDoc }>(['box', 'request', '--repo', COLD, '--for', 'x']);
      expect(first.box).toMatchObject({ claimant: 'x', warm: false });

      const refused = await cli.cac(['box', 'request', '--repo', COLD, '--for', 'x', '--json']);
      expect(refused.exitCode, refused.stdout + refused.stderr).toBe(1);
      expect(JSON.parse(refused.stdout)).toMatchObject({
        outcome: 'error',
        code: 'ERR_NO_CAPACITY',
        message: 'boxes.max_per_claimant = 1 reached: x holds 1 box',
        hint: expect.stringContaining('raise [boxes] max_per_claimant'),
      } satisfies Partial<ErrorDoc>);
      const human = await cli.cac(['box', 'request', '--repo', REPO, '--for', 'x']);
      expect(human.exitCode).toBe(1);
      expect(human.stdout).toBe('');
      expect(human.stderr).toContain('boxes.max_per_claimant = 1 reached: x holds 1 box');

      const other = await cli.json<{ box: BoxDoc }>(['box', 'request', '--repo', COLD, '--for', 'y']);
      expect(other.box.claimant).toBe('y');
      expect((await cli.boxes()).map((b) => b.claimant).sort()).toEqual(['x', 'y']);
    });
  });

  describe('max_live = 2', () => {
    const cli = cliWith('max_live = 2', poolToml(REPO, 3, 5));
    afterAll(() => cleanUp(cli));

    it('a reconcile creates up to max_live and says the pool is held; a cold request past it fails naming the limit', async () => {
      const round = await cli.json<ReconcileDoc>(['pool', 'reconcile'], 0);
      const pool = round.pools.find((p) => p.poolKey === `${REPO}#main`);
      expect(pool?.plan).toMatchObject({ creates: 2, held: 'held by max_live: 2 boxes live across all pools (boxes.max_live = 2)' });
      expect(pool?.applied?.created).toHaveLength(2);
      expect((await cli.boxes()).map((b) => b.state)).toEqual(['standby', 'standby']);

      const again = await cli.json<ReconcileDoc>(['pool', 'reconcile'], 0);
      expect(again.pools[0]?.plan).toMatchObject({ creates: 0, held: expect.stringContaining('held by max_live') });
      expect(await cli.boxes()).toHaveLength(2);

      const status = await cli.json<{ pools: PoolRow[] }>(['pool', 'status']);
      expect(status.pools[0]).toMatchObject({ poolKey: `${REPO}#main`, standby: 2, held: 'held by max_live: 2 boxes live across all pools (boxes.max_live = 2)' });
      expect(status.pools[0]?.boxHoursLastDay).toBeGreaterThanOrEqual(0);
      const table = await cli.cac(['pool', 'status']);
      expect(table.stderr + table.stdout).toContain('held by max_live');

      const refused = await cli.cac(['box', 'request', '--repo', COLD, '--for', 'x', '--json']);
      expect(refused.exitCode).toBe(1);
      expect(JSON.parse(refused.stdout)).toMatchObject({ code: 'ERR_NO_CAPACITY', message: 'boxes.max_live = 2 reached: 2 boxes live across all pools' });
      // a warm box already holds its VM: claiming it is not refused
      const warm = await cli.json<{ warm: boolean; box: BoxDoc }>(['box', 'request', '--repo', REPO, '--for', 'x']);
      expect(warm.warm).toBe(true);
      expect(await cli.boxes()).toHaveLength(2);
    });
  });
});
