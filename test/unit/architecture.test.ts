// The layering of src/ (docs/architecture.md) checked by dependency-cruiser with the rules in
// .dependency-cruiser.cjs: any import against them fails the unit lane.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const depcruise = join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

interface Violation {
  from: string;
  to: string;
  rule: { name: string; severity: string };
  cycle?: Array<{ name: string }>;
}

interface CruiseResult {
  summary: { violations: Violation[]; totalCruised: number; ruleSetUsed: { forbidden: Array<{ name: string }> } };
}

/** Runs dependency-cruiser over `cwd`/src with the project's rules; its exit status is the error count. */
async function cruise(cwd: string): Promise<CruiseResult> {
  const args = [depcruise, 'src', '--config', join(root, '.dependency-cruiser.cjs'), '--output-type', 'json'];
  const out = await promisify(execFile)(process.execPath, args, { cwd, maxBuffer: 64 * 1024 * 1024 }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  return JSON.parse(out.stdout) as CruiseResult;
}

const shown = (v: Violation) => `${v.rule.name}: ${v.from} → ${v.cycle ? v.cycle.map((c) => c.name).join(' → ') : v.to}`;

describe('layering', () => {
  it('src/ follows every layer rule', async () => {
    const result = await cruise(root);
    expect(result.summary.totalCruised).toBeGreaterThan(100);
    const rules = result.summary.ruleSetUsed.forbidden.map((r) => r.name);
    expect(rules).toEqual(
      expect.arrayContaining([
        'domain-is-a-leaf',
        'ports-import-domain-only',
        'core-imports-domain-ports-util',
        'core-touches-no-world-library',
        'adapters-import-domain-ports-util',
        'app-is-below-cli',
        'cli-calls-app-only',
        'no-circular',
      ]),
    );
    expect(result.summary.violations.filter((v) => v.rule.severity === 'error').map(shown)).toEqual([]);
  }, 180_000);

  it('an import against a rule is caught (test/fixtures/layering breaks four of them)', async () => {
    const result = await cruise(join(root, 'test/fixtures/layering'));
    expect(result.summary.violations.map(shown).sort()).toEqual([
      'cli-calls-app-only: src/cli/handler.ts → src/core/use-case.ts',
      'core-imports-domain-ports-util: src/core/use-case.ts → src/adapters/tool.ts',
      'domain-is-a-leaf: src/domain/state.ts → src/ports/store.ts',
      'ports-import-domain-only: src/ports/store.ts → src/core/use-case.ts',
    ]);
  }, 180_000);
});
