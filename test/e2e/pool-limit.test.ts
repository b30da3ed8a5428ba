// max_instances holds for cold requests through bin/cac: with max_instances = 1, a second cold request
// fails with ERR_NO_CAPACITY and records nothing, however many ask at once.
import { rmSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { boxCli, poolToml, writeConfig, type BoxDoc, type ErrorDoc } from '../helpers/box-cli.js';
import { newRunId, removeRun } from '../helpers/box-run.js';
import { describeWith } from '../helpers/infra.js';

const RUN = newRunId('e2e-pool-limit');
const REPO = 'https://example.test/acme/limit.git';

describeWith(['docker'], 'max_instances for cold requests, through bin/cac', () => {
  const cli = boxCli(RUN, { CAC_BOX_INNER_DOCKER: '0' });
  writeConfig(cli.configFile, `[boxes]\nprovision = "vm"\n\n${poolToml(REPO, 0, 1)}`);
  afterAll(async () => {
    for (const b of await cli.boxes()) if (b.state !== 'destroyed') await cli.cac(['box', 'release', b.id]);
    removeRun(RUN);
    rmSync(cli.home, { recursive: true, force: true });
  });

  it('of 4 concurrent cold requests into a pool of max 1, one gets a box and 3 get ERR_NO_CAPACITY', async () => {
    const results = await Promise.all(['a', 'b', 'c', 'd'].map((who) => cli.cac(['box', 'request', '--repo', REPO, '--for', who, '--json'])));
    const won = results.filter((r) => r.exitCode === 0).map((r) => (JSON.parse(r.stdout) as { box: BoxDoc }).box);
    const refused = results.filter((r) => r.exitCode !== 0);
    expect(won, results.map((r) => r.stdout + r.stderr).join('\n')).toHaveLength(1);
    expect(refused.map((r) => r.exitCode)).toEqual([1, 1, 1]);
    for (const r of refused) {
      expect(JSON.parse(r.stdout)).toMatchObject({ code: 'ERR_NO_CAPACITY', message: `pool ${REPO}#main is full: 1 live boxes (max_instances)` } satisfies Partial<ErrorDoc>);
    }
    expect((await cli.boxes()).map((b) => b.id)).toEqual([won[0]?.id]);
  });
});
