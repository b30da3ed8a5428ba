// The AgentVolumes contract on the docker adapter, against the test dockerd.
import { LocalHost } from '../../../src/adapters/host/local.js';
import { DockerAgentVolumes } from '../../../src/adapters/engine/agent-volumes.js';
import { describeWith, engineEnv } from '../../helpers/infra.js';
import { agentVolumesContract } from './agent-volumes-contract.js';

describeWith(['docker'], 'docker agent volumes', () => {
  agentVolumesContract('DockerAgentVolumes', async () => ({ volumes: new DockerAgentVolumes({ host: new LocalHost(), dockerPath: 'docker', env: engineEnv() }) }));
});
