// Process entry: real streams, Ctrl-C → abort in-flight work (children are killed through the signal)
// → exit 130; a second Ctrl-C exits at once.
import { run } from './run.js';
import { EXIT } from '../errors.js';

export async function main(): Promise<void> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (): void => {
    interrupts += 1;
    if (interrupts > 1) process.exit(EXIT.interrupted);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const stdio = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };
  process.exitCode = await run(process.argv.slice(2), stdio, controller.signal);
  // a spinner or a keep-alive handle must not keep the process alive after the result
  process.stdout.write('', () => process.stderr.write('', () => process.exit(process.exitCode)));
}

void main();
