// A vitest reporter that records what vitest's JSON report leaves out: the unhandled errors of a run
// (unhandled rejections, errors thrown after a test ended, a worker that died) and why the run ended.
// scripts/test-lanes runs it beside the JSON reporter; scripts/test-summary.mjs counts each error as failed.
// Writes to $CAC_TEST_ERRORS_FILE.
import { writeFileSync } from 'node:fs';

export default class ErrorsReporter {
  onTestRunEnd(_testModules, unhandledErrors, reason) {
    const file = process.env.CAC_TEST_ERRORS_FILE;
    if (!file) throw new Error('scripts/vitest-errors-reporter.mjs: CAC_TEST_ERRORS_FILE is not set');
    const errors = unhandledErrors.map((e) => ({
      name: e.name ?? 'Error',
      message: String(e.message ?? e).split('\n')[0],
      cause: e.cause?.message === undefined ? undefined : String(e.cause.message).split('\n')[0],
    }));
    writeFileSync(file, `${JSON.stringify({ reason, unhandledErrors: errors }, null, 2)}\n`);
  }
}
