// The Host contract on the machine cac runs on.
import { LocalHost } from '../../../src/adapters/host/local.js';
import { hostContract } from './contract.js';

hostContract('LocalHost', async () => ({ host: new LocalHost() }));
