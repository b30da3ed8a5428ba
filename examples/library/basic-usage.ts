// The CodeAgentController Basic Usage, as its README writes it, on cac's docker driver and a Redis store.
// Build first (npm run build), then, with a box image (README "A box image for the docker driver"):
//   REDIS_URL=redis://127.0.0.1:6379 CAC_MASTER_KEY=$(cac env keygen) npx tsx examples/library/basic-usage.ts <repo url>
// The repository needs a .devcontainer whose image the boxes can get: PRELOAD_IMAGES copies local images
// into each box (comma-separated). Prints one JSON line per event on stdout.
import { Redis } from 'ioredis';
import { AllocatorService, DefaultPoolManager, DockerVmDriver, EncryptionService, EnvInjector, LocalHost, RedisAgentBoxStore, SshProvisioner, sshExecutor } from 'code-agent-controller';

const repoUrl = process.argv[2] ?? 'https://github.com/acme/app.git';
const masterKey = process.env.CAC_MASTER_KEY;
const yourRedisKvService = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
// boxes carry these labels (and are listed by them): another controller's boxes are never this one's orphans
const labels = { 'cac.example': 'basic-usage', ...(process.env.CAC_TEST_RUN_LABEL ? { 'cac.test-run': process.env.CAC_TEST_RUN_LABEL } : {}) };
const yourVmManager = new DockerVmDriver({
  host: new LocalHost(),
  dockerPath: 'docker',
  env: process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {},
  image: process.env.BOX_IMAGE ?? 'cac-test/box:bookworm',
  scope: labels,
});
const yourSshExecutor = sshExecutor();
const encryptedPayload = new EncryptionService(masterKey).encrypt(Buffer.from('GREETING="hello from the Basic Usage"\n'));
const preloadImages = process.env.PRELOAD_IMAGES ? process.env.PRELOAD_IMAGES.split(',') : [];
const show = (event: string, fields: object) => process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);

// ---- the Basic Usage, as written ----
const store = new RedisAgentBoxStore({ kv: yourRedisKvService });
const envInjector = new EnvInjector({ encryption: new EncryptionService(masterKey) });
const provisioner = new SshProvisioner({ executor: yourSshExecutor, envInjector, repoPath: '/home/cac/repo', preloadImages });
const allocator = new AllocatorService({ store, vmManager: yourVmManager, provisioner });
const poolManager = new DefaultPoolManager({ store, vmManager: yourVmManager, allocator });
const response = await allocator.requestBox({ repoUrl, branch: 'main', requestedBy: 'ticket-123', envPayload: encryptedPayload });
show('requested', { warm: response.warm, box: response.box });
const reconciled = await poolManager.reconcilePools([{ repoUrl, baseBranch: 'main', minStandby: 2, maxInstances: 6 }]);
// ---- end of the Basic Usage ----

show('reconciled', { outcome: reconciled.outcome, pool: reconciled.pools[0] });
// the cold box provisioned in this process meanwhile; the pool's boxes are standby: the next request is warm
show('ready', { box: await allocator.waitForBox(response.box.id, { timeoutMs: 15 * 60_000 }) });
const warm = await allocator.requestBox({ repoUrl, branch: 'main', requestedBy: 'ticket-124', envPayload: encryptedPayload });
show('claimed', { warm: warm.warm, box: warm.box });
await provisioner.close();
await store.close();
