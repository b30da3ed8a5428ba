// Totals over the lanes that scripts/test-lanes ran. Per lane it reads three files from the results
// directory (default .test-results/): <lane>.json (vitest's JSON report), <lane>.errors.json (the
// unhandled errors, from scripts/vitest-errors-reporter.mjs) and <lane>.exit (vitest's exit status).
// Every kind of failure counts as failed, so the total can't say `0 failed` after a crash:
//   a failed test; a test that never finished (its worker died); a file that failed outside its tests
//   (import error, throwing beforeAll/afterAll, no test in it); an unhandled error or rejection;
//   an interrupted run; a lane with a missing report, that ran no test, or whose vitest exited non-zero
//   while nothing above explains it.
// Exits 1 when anything failed, 2 on bad arguments. Last line: the plain total.
// Usage: node scripts/test-summary.mjs [--results <dir>] <lane>...
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const USAGE = 'usage: node scripts/test-summary.mjs [--results <dir>] <lane>...';

function parseArgs(argv) {
  let dir = '.test-results';
  const lanes = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--results') {
      dir = argv[++i];
      if (!dir) usage('--results needs a directory');
    } else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else if (lanes.includes(a)) usage(`lane ${a} is named twice`);
    else lanes.push(a);
  }
  if (lanes.length === 0) usage('name at least one lane');
  return { dir, lanes };
}

function usage(problem) {
  console.error(`test-summary: ${problem}\n${USAGE}`);
  process.exit(2);
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return { unreadable: e instanceof Error ? e.message : String(e) };
  }
}

/** One lane's counts and a line per failure that is not a plain failed test. */
function summarizeLane(dir, lane) {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  const problems = [];
  const fail = (what) => {
    counts.failed += 1;
    problems.push(what);
  };
  const reportFile = join(dir, `${lane}.json`);
  if (!existsSync(reportFile)) {
    fail('no report (the lane did not run, or vitest died before writing it)');
    return { counts, problems };
  }
  const report = readJson(reportFile);
  if (report.unreadable || !Array.isArray(report.testResults)) {
    fail(`report ${reportFile} is not a vitest JSON report${report.unreadable ? `: ${report.unreadable}` : ''}`);
    return { counts, problems };
  }
  for (const file of report.testResults) {
    const name = relative(process.cwd(), file.name ?? '?');
    const tests = file.assertionResults ?? [];
    const by = (status) => tests.filter((t) => t.status === status).length;
    const unfinished = by('pending');
    counts.passed += by('passed');
    counts.failed += by('failed') + unfinished;
    counts.skipped += by('skipped') + by('todo');
    if (unfinished > 0) problems.push(`${name}: ${unfinished} test(s) did not finish (the worker died or exited, or the run stopped)`);
    // file.message holds the file's own error (import, top-level hook); a failed describe-level hook
    // leaves only the failed status, with its tests reported as skipped or passed.
    const ownFailure = file.status === 'failed' && by('failed') + unfinished === 0;
    if (file.message || ownFailure) {
      fail(`${name}: failed outside its tests: ${file.message || 'a beforeAll/afterAll hook threw (its output above says which)'}`);
    }
  }
  const errorsFile = join(dir, `${lane}.errors.json`);
  const errors = existsSync(errorsFile) ? readJson(errorsFile) : { unreadable: 'missing' };
  if (errors.unreadable || !Array.isArray(errors.unhandledErrors)) {
    fail(`no record of unhandled errors (${errorsFile}: ${errors.unreadable ?? 'not a record'})`);
  } else {
    for (const e of errors.unhandledErrors) fail(`unhandled error: ${e.name}: ${e.message}${e.cause ? ` (cause: ${e.cause})` : ''}`);
    if (errors.reason === 'interrupted') fail('the run was interrupted');
  }
  const exitFile = join(dir, `${lane}.exit`);
  const exit = existsSync(exitFile) ? readFileSync(exitFile, 'utf8').trim() : 'unknown';
  if (counts.passed === 0 && counts.failed === 0) fail('ran no test');
  if (counts.failed === 0 && exit !== '0') fail(`vitest exited ${exit} though its reports show no failure`);
  return { counts, problems };
}

const { dir, lanes } = parseArgs(process.argv.slice(2));
const total = { passed: 0, failed: 0, skipped: 0 };
for (const lane of lanes) {
  const { counts, problems } = summarizeLane(dir, lane);
  for (const p of problems) console.log(`${lane}: ${p}`);
  console.log(`${lane}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
  for (const k of Object.keys(total)) total[k] += counts[k];
}
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(total.failed > 0 ? 1 : 0);
