// The in-memory fakes the box unit tests use pass the same contracts as the real adapters, so a unit
// test can't pass on behaviour the real ones lack: MemoryBoxStore the BoxStore contract (SQLite and
// Redis in test/integration/store), FakeVmDriver the VmDriver conformance suite (docker, ssh-fleet,
// command in test/integration/drivers) less its two real SSH logins, MemAgentVolumes the AgentVolumes
// contract (the docker adapter in test/integration/engine).
import { driverConformance } from '../../integration/drivers/conformance.js';
import { boxStoreContract } from '../../integration/store/contract.js';
import { FakeVmDriver, MemoryBoxStore } from '../../fakes/boxes.js';
import { agentVolumesContract } from '../../integration/engine/agent-volumes-contract.js';
import { MemAgentVolumes } from '../../fakes/agents.js';

boxStoreContract('MemoryBoxStore', async () => {
  const store = new MemoryBoxStore();
  return { store, dispose: () => store.close() };
});

driverConformance(
  'FakeVmDriver',
  async () => ({
    driver: new FakeVmDriver(),
    keys: { privateKey: 'unused: the fake has no sshd', publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBLDkNIdqMQZS6BHDHm3KXSqleJ71WXFsKL/tTtkXBPa' },
    labels: { 'cac.test-run': 'unit' },
  }),
  { sshLogin: false },
);

agentVolumesContract('MemAgentVolumes', async () => ({ volumes: new MemAgentVolumes() }));
