// Unknown keys are warnings, not errors: walk the raw TOML object against the schema's shape and
// name the closest known key for each stranger.
import type * as z from 'zod/mini';

export interface UnknownKey {
  path: Array<string | number>;
  suggestion: string | undefined;
}

type AnySchema = z.ZodMiniType;

function unwrap(schema: AnySchema): AnySchema {
  let s = schema as AnySchema & { def?: { innerType?: AnySchema; in?: AnySchema; type?: string } };
  // default / optional / pipe wrappers hold the real shape inside
  for (let i = 0; i < 10 && s?.def; i++) {
    const def = s.def as { innerType?: AnySchema; in?: AnySchema; schema?: AnySchema; type?: string };
    const inner = def.innerType ?? def.in ?? (def.type === 'pipe' ? def.in : undefined);
    if (!inner) break;
    s = inner as typeof s;
  }
  return s;
}

function shapeOf(schema: AnySchema): Record<string, AnySchema> | undefined {
  const s = unwrap(schema) as AnySchema & { def?: { type?: string; shape?: Record<string, AnySchema> } };
  return s.def?.type === 'object' ? s.def.shape : undefined;
}

function elementOf(schema: AnySchema): AnySchema | undefined {
  const s = unwrap(schema) as AnySchema & { def?: { type?: string; element?: AnySchema } };
  return s.def?.type === 'array' ? s.def.element : undefined;
}

export function findUnknownKeys(raw: unknown, schema: AnySchema, path: Array<string | number> = []): UnknownKey[] {
  const shape = shapeOf(schema);
  if (shape && raw && typeof raw === 'object' && !Array.isArray(raw)) {
    return Object.entries(raw as Record<string, unknown>).flatMap(([key, value]) => {
      const child = shape[key];
      if (!child) return [{ path: [...path, key], suggestion: closest(key, Object.keys(shape)) }];
      return findUnknownKeys(value, child, [...path, key]);
    });
  }
  const element = elementOf(schema);
  if (element && Array.isArray(raw)) return raw.flatMap((v, i) => findUnknownKeys(v, element, [...path, i]));
  return [];
}

/** The known key nearest by edit distance, when it is near enough to be a likely typo. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}
