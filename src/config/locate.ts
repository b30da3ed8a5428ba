// Finds the line of a dot path (e.g. pools.0.min_standby) in TOML text, so schema errors can say
// file:line. A line scanner, not a parser: it tracks [table] and [[array]] headers and key lines,
// and falls back to the longest known prefix of the path.

type Segment = string | number;

function splitKey(raw: string): string[] {
  const parts: string[] = [];
  const re = /\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*(?:\.|$)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(raw)) !== null && m[0] !== '') {
    const token = m[1] ?? '';
    parts.push(token.startsWith('"') || token.startsWith("'") ? token.slice(1, -1) : token);
    if (re.lastIndex >= raw.length) break;
  }
  return parts;
}

/** Map of "a.b.0.c" → 1-based line for every table header and key in the text. */
export function indexLines(text: string): Map<string, number> {
  const index = new Map<string, number>();
  const arrayCounts = new Map<string, number>();
  let table: Segment[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const lineNo = i + 1;
    const arr = /^\s*\[\[([^\]]+)\]\]/.exec(line);
    const tbl = arr ? null : /^\s*\[([^\]]+)\]/.exec(line);
    if (arr?.[1]) {
      const base = resolveBase(splitKey(arr[1]), arrayCounts);
      const key = base.join('.');
      const n = arrayCounts.get(key) ?? 0;
      arrayCounts.set(key, n + 1);
      table = [...base, n];
      setOnce(index, table, lineNo);
      return;
    }
    if (tbl?.[1]) {
      table = resolveBase(splitKey(tbl[1]), arrayCounts);
      setOnce(index, table, lineNo);
      return;
    }
    const kv = /^\s*((?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_.\s-])+?)\s*=/.exec(line);
    if (kv?.[1]) {
      const keys = splitKey(kv[1]);
      for (let k = 1; k <= keys.length; k++) setOnce(index, [...table, ...keys.slice(0, k)], lineNo);
    }
  });
  return index;
}

// [pools.x] after [[pools]] refers to the last element of the array of tables.
function resolveBase(keys: string[], arrayCounts: Map<string, number>): Segment[] {
  const out: Segment[] = [];
  for (const k of keys) {
    out.push(k);
    const n = arrayCounts.get(out.join('.'));
    if (n !== undefined && out.length < keys.length) out.push(n - 1);
  }
  return out;
}

function setOnce(index: Map<string, number>, path: Segment[], line: number): void {
  const key = path.join('.');
  if (!index.has(key)) index.set(key, line);
}

/** Line of the path, or of its longest prefix present in the file; undefined when none is. */
export function lineOf(index: Map<string, number>, path: readonly Segment[]): number | undefined {
  for (let n = path.length; n > 0; n--) {
    const line = index.get(path.slice(0, n).join('.'));
    if (line !== undefined) return line;
  }
  return undefined;
}
