// Doctor's store row: SQLite file writable (the embedded default) or Redis answering PING.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DoctorCheck } from '../core/doctor/checks.js';
import type { Config } from '../config/schema.js';
import { redactUrl } from '../util/redact.js';

export async function probeStore(config: Config, stateDir: string): Promise<DoctorCheck> {
  const url = config.store.url;
  if (url?.startsWith('redis')) return probeRedis(url);
  const file = url?.startsWith('sqlite:') ? url.slice('sqlite:'.length) : join(stateDir, 'boxes.db');
  try {
    await mkdir(join(file, '..'), { recursive: true, mode: 0o700 });
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(file);
    try {
      db.pragma('journal_mode = WAL');
      db.exec('CREATE TABLE IF NOT EXISTS cac_doctor (n INTEGER); DROP TABLE cac_doctor;');
    } finally {
      db.close();
    }
    return { name: 'store', status: 'ok', detail: `sqlite ${file} writable` };
  } catch (e) {
    return {
      name: 'store',
      status: 'error',
      detail: `sqlite ${file}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`,
      hint: 'make the state dir writable ($XDG_STATE_HOME/cac), or rebuild better-sqlite3 (npm ci)',
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
