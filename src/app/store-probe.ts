// Doctor's store row: SQLite file writable (the embedded default) or Redis answering PING. The SQLite
// check never takes the write lock, so it answers while a reconcile writes.
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DoctorCheck } from '../core/doctor/checks.js';
import type { Config } from '../config/schema.js';
import { redactUrl } from '../util/redact.js';
import { storeLocation } from './boxes.js';

export async function probeStore(config: Config, stateDir: string): Promise<DoctorCheck> {
  const { kind, location } = storeLocation(config, stateDir);
  if (kind === 'redis') return probeRedis(location);
  const file = location;
  try {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await access(dirname(file), constants.W_OK); // SQLite writes its -wal and -shm files beside the store
    const exists = await access(file).then(
      () => true,
      () => false,
    );
    if (!exists) return { name: 'store', status: 'ok', detail: `sqlite ${file} (made on first use; its dir is writable)` };
    await access(file, constants.R_OK | constants.W_OK);
    const { SqliteAgentBoxStore } = await import('../adapters/store/sqlite.js');
    // read-only: checks the file opens and its schema is one this cac knows, without waiting for a writer
    await new SqliteAgentBoxStore(file, { readOnly: true }).close();
    return { name: 'store', status: 'ok', detail: `sqlite ${file} writable` };
  } catch (e) {
    const code = (e as { code?: string }).code;
    const denied = code === 'EACCES' || code === 'EPERM' || code === 'EROFS';
    return {
      name: 'store',
      status: 'error',
      detail: `sqlite ${file}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`,
      hint: denied ? 'make the state dir writable ($XDG_STATE_HOME/cac) or point [store] url at another file' : ((e as { hint?: string }).hint ?? 'point [store] url at another file'),
    };
  }
}

async function probeRedis(url: string): Promise<DoctorCheck> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    const pong = await client.ping();
    return { name: 'store', status: 'ok', detail: `redis ${redactUrl(url)} answers ${pong}` };
  } catch (e) {
    return {
      name: 'store',
      status: 'error',
      detail: `redis ${redactUrl(url)} unreachable: ${e instanceof Error ? e.message : String(e)}`,
      hint: 'start Redis or fix [store] url',
    };
  } finally {
    client.disconnect();
  }
}
