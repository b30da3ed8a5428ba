// A whole stream in one Buffer; the chunks are zeroed once copied, so a secret lives in one Buffer only.
import type { Readable } from 'node:stream';

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  const all = Buffer.concat(chunks);
  for (const c of chunks) c.fill(0);
  return all;
}
