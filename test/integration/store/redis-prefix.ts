// A unique key prefix per test on the shared test Redis, and its removal afterwards.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const uniquePrefix = (): string => `cac-test:${randomBytes(6).toString('hex')}:`;

/** Removes every key under `prefix`. */
export async function dropPrefix(url: string, prefix: string): Promise<void> {
  const admin = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await admin.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    admin.disconnect();
  }
}
