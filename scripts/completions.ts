// Regenerates completions/ from the program (`just completions`); a unit test fails when they drift.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { buildProgram } from '../src/cli/program.js';
import { completionScript, COMPLETION_FILES, type Shell } from '../src/cli/completion/index.js';

const root = join(import.meta.dirname, '..');
const program = buildProgram({
  stdio: { stdin: Readable.from([]), stdout: new PassThrough(), stderr: new PassThrough(), env: {} },
  signal: new AbortController().signal,
  argv: [],
  exitCode: 0,
});
for (const shell of Object.keys(COMPLETION_FILES) as Shell[]) {
  writeFileSync(join(root, COMPLETION_FILES[shell]), completionScript(program, shell));
  console.log(`wrote ${COMPLETION_FILES[shell]}`);
}
