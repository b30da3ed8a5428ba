// The driver conformance suite on the docker driver: boxes are containers on the test dockerd.
import { afterAll } from 'vitest';
import { LocalHost } from '../../../src/adapters/host/local.js';
import { DockerVmDriver } from '../../../src/adapters/vm/docker.js';
import { describeWith } from '../../helpers/infra.js';
import { driverConformance } from './conformance.js';
import { BOX_IMAGE, DOCKER_ENV, keyPair, removeRunContainers, RUN_LABELS } from './test-run.js';

describeWith(['docker'], 'docker driver', () => {
  afterAll(removeRunContainers);

  driverConformance('docker', async () => ({
    // plain SSH boxes: the inner engine is the provisioner's business, not the driver contract's
    driver: new DockerVmDriver({ host: new LocalHost(), dockerPath: 'docker', env: DOCKER_ENV, image: BOX_IMAGE, scope: RUN_LABELS, innerDocker: false }),
    keys: keyPair(),
    labels: RUN_LABELS,
  }));
});
