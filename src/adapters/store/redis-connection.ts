// Reaching Redis for the box store: the client of the seed's `{ kv }` form, waiting until it answers (or
// ERR_STORE_UNREACHABLE), and naming its server in messages.
import { Redis } from 'ioredis';
import { CacError } from '../../errors.js';
import { redactUrl } from '../../util/redact.js';

/** How long the `{ kv }` form waits for Redis to answer before ERR_STORE_UNREACHABLE. */
const CONNECT_TIMEOUT_MS = 5000;

/** ERR_STORE_UNREACHABLE, as every entry (CLI and library) reports a Redis that does not answer. */
export function storeUnreachable(url: string, cause: unknown): CacError {
  return new CacError('ERR_STORE_UNREACHABLE', `the box store at ${redactUrl(url)} does not answer: ${cause instanceof Error ? cause.message : String(cause)}`, {
    hint: "start Redis or fix [store] url; 'cac doctor' checks it",
    cause,
  });
}

/** The client of the `{ kv }` form: a URL gets its own client that connects on first use and fails fast. */
export function kvClient(kv: Redis | string): Redis {
  if (typeof kv !== 'string') return kv;
  if (!/^rediss?:\/\//.test(kv)) {
    throw new CacError('ERR_INVALID_INPUT', `kv: expected an ioredis client or a "redis://…" or "rediss://…" URL, got ${JSON.stringify(redactUrl(kv).slice(0, 60))}`, {
      hint: 'pass new Redis(url) or the URL itself',
    });
  }
  const client = new Redis(kv, { lazyConnect: true, connectTimeout: CONNECT_TIMEOUT_MS, maxRetriesPerRequest: 3 });
  // connection errors reach the caller as ERR_STORE_UNREACHABLE, not as an unhandled 'error' event
  client.on('error', () => {});
  return client;
}

/** Resolves when the client is ready; ERR_STORE_UNREACHABLE when it cannot connect within the timeout. */
export async function answered(client: Redis, url: string): Promise<void> {
  if (client.status === 'ready') return;
  if (client.status === 'wait') {
    try {
      await client.connect();
      return;
    } catch (e) {
      throw storeUnreachable(url, e);
    }
  }
  if (client.status === 'end' || client.status === 'close') throw storeUnreachable(url, new Error('the client was closed'));
  await new Promise<void>((resolve, reject) => {
    let last: unknown = new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`);
    const done = (e?: unknown) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
      client.off('end', onEnd);
      if (e === undefined) resolve();
      else reject(storeUnreachable(url, e));
    };
    const onReady = () => done();
    const onError = (e: unknown) => {
      last = e;
    };
    const onEnd = () => done(last);
    const timer = setTimeout(() => done(last), CONNECT_TIMEOUT_MS);
    client.on('ready', onReady);
    client.on('error', onError);
    client.on('end', onEnd);
  });
}

/** A `redis://host:port/db` naming the client's server, for messages. */
export function urlOf(client: Redis): string {
  const o = client.options;
  return `redis://${o.host ?? 'localhost'}:${o.port ?? 6379}/${o.db ?? 0}`;
}

/** `fn` run once; a failure is not kept, so the next call tries again. */
export function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => {
    done ??= fn().catch((e) => {
      done = undefined;
      throw e;
    });
    return done;
  };
}
