// openController: the store, VM driver, allocator and pool manager `cac` itself would use with a config.
// Build first (npm run build), then:
//   CAC_MASTER_KEY=$(cac env keygen) npx tsx examples/library/facade.ts [config.toml]
// Without an argument the config is cac's own ($CAC_CONFIG, else ~/.config/cac/config.toml); it needs a
// [[pools]] entry. Reconciles the pools as `cac pool reconcile` does, then requests a box of the first pool
// with an encrypted .env as `cac box request --env-file` does. Prints one JSON line per event on stdout.
import { EncryptionService, openController } from 'code-agent-controller';

const cac = await openController(process.argv[2] ? { config: process.argv[2] } : {});
const show = (event: string, fields: object) => process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);
try {
  const [pool] = cac.pools;
  if (!pool) throw new Error('the config has no [[pools]] entry');
  const reconciled = await cac.poolManager.reconcilePools(cac.pools);
  show('reconciled', { outcome: reconciled.outcome, pool: reconciled.pools[0] });
  const envPayload = new EncryptionService(process.env.CAC_MASTER_KEY).encrypt(Buffer.from('GREETING="hello from the facade"\n'));
  const { box, warm } = await cac.allocator.requestBox({ repoUrl: pool.repoUrl, requestedBy: 'ticket-125', envPayload });
  show('claimed', { warm, box: warm ? box : await cac.allocator.waitForBox(box.id, { timeoutMs: 15 * 60_000 }) });
} finally {
  await cac.close();
}
