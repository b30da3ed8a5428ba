// What `cac up` loads before it spawns the devcontainer CLI, read from the build's metafile: every module
// loaded then is start-up time on a cold `up` (Node 20 compiles each one). The handler path's static
// imports may hold only what the spawn needs; injection, tables, colours and the box stores load later.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

interface Output {
  imports: Array<{ path: string; kind: string; external?: boolean }>;
  inputs: Record<string, unknown>;
  entryPoint?: string;
}

let outputs: Record<string, Output>;
const scratch = mkdtempSync(join(tmpdir(), 'cac-metafile-'));
beforeAll(() => {
  const file = join(scratch, 'meta.json');
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), '--metafile', file], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  outputs = (JSON.parse(readFileSync(file, 'utf8')) as { outputs: Record<string, Output> }).outputs;
}, 60_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The chunk a lazily imported source file starts. */
function chunkOf(source: string): string {
  const found = Object.entries(outputs).find(([, o]) => o.entryPoint === source)?.[0];
  if (!found) throw new Error(`no chunk starts at ${source}`);
  return found;
}

/** The inputs (and external packages) loaded with these chunks: their static imports, followed. */
function loadedWith(chunks: string[]): { inputs: Set<string>; externals: Set<string> } {
  const seen = new Set<string>();
  const externals = new Set<string>();
  const todo = [...chunks];
  for (let c = todo.pop(); c !== undefined; c = todo.pop()) {
    if (seen.has(c)) continue;
    seen.add(c);
    for (const i of outputs[c]?.imports ?? []) {
      if (i.kind !== 'import-statement') continue;
      if (i.external) externals.add(i.path);
      else todo.push(i.path);
    }
  }
  return { inputs: new Set([...seen].flatMap((c) => Object.keys(outputs[c]?.inputs ?? {}))), externals };
}

describe('cac up: what loads before the devcontainer CLI is spawned', () => {
  // the entry, then what lazyAction imports for `up`: the context and the lifecycle handlers
  const upPath = () => loadedWith(['dist/cli.js', chunkOf('src/app/context.ts'), chunkOf('src/cli/handlers/lifecycle.ts')]);

  it('holds the engine, the config loader and the agent hooks (the test sees the real path)', () => {
    const { inputs } = upPath();
    for (const f of ['src/core/lifecycle/up.ts', 'src/adapters/engine/devcontainer-cli.ts', 'src/adapters/host/local.ts', 'src/config/load.ts', 'src/config/defaults.ts', 'src/app/agent-hooks.ts']) {
      expect(inputs, f).toContain(f);
    }
  });

  it('holds no agent code (agents are off by default), no execa, no tables or colours, no box store or SSH, no node:net; no config parser until a file exists', () => {
    const { inputs, externals } = upPath();
    const heavy = [...inputs].filter((f) =>
      /node_modules\/(execa|tar-stream|streamx|cli-table3|chalk|ora|zod|smol-toml)\/|src\/(core\/agents\/inject|app\/agents|app\/agent-cache|app\/boxes|domain\/hosts|adapters\/store\/|adapters\/host\/ssh|output\/human|config\/parse|config\/schema)\b/.test(
        f,
      ),
    );
    expect(heavy).toEqual([]);
    expect([...externals].filter((e) => !e.startsWith('node:') || e === 'node:net')).toEqual([]);
  });

  it('no chunk holds execa: LocalHost spawns with node:child_process (execa was ~30 ms of start-up)', () => {
    expect(Object.values(outputs).flatMap((o) => Object.keys(o.inputs).filter((f) => f.includes('node_modules/execa/')))).toEqual([]);
  });

  it('injection is a chunk of its own, loaded by the agent hooks when needed', () => {
    expect(loadedWith([chunkOf('src/app/agents.ts')]).inputs).toContain('src/core/agents/inject.ts');
  });
});
