// Totals over the lanes' vitest JSON reports. A lane without a report, or one that ran no test,
// counts as a failure, so a run that tested nothing can't pass for green. Last line: the plain total.
import { existsSync, readFileSync } from 'node:fs';

const lanes = process.argv.slice(2);
let passed = 0, failed = 0, skipped = 0, bad = false;
for (const lane of lanes) {
  const file = `.test-results/${lane}.json`;
  if (!existsSync(file)) {
    console.log(`${lane}: no report (the lane did not run)`);
    failed += 1;
    bad = true;
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  const s = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  console.log(`${lane}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${s} skipped`);
  if (r.numPassedTests === 0) {
    console.log(`${lane}: ran no test`);
    bad = true;
  }
  if (r.numFailedTests > 0 || r.success === false) bad = true;
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += s;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(bad ? 1 : 0);
