// Why did `devcontainer up` fail? Build failure, missing image, engine down, or something else, each
// with a code, a hint, and the tail of the relevant log.
import { CacError } from '../../errors.js';
import { isEngineDown, engineUnreachable } from './docker-cli.js';
import { composeMissing, isComposeMissing } from './compose.js';

/** The JSON line `devcontainer up` prints last. */
export interface CliOutcome {
  outcome?: string;
  message?: string;
  description?: string;
  containerId?: string;
  remoteUser?: string;
  remoteWorkspaceFolder?: string;
  composeProjectName?: string;
}

export interface UpFailure {
  outcome: CliOutcome | undefined;
  stderrLines: string[];
  buildTail: string[];
  logFile: string;
  exitCode: number;
  /** Where the engine runs, for messages: 'this machine', 'the box'. */
  where?: string;
}

export function classifyUpFailure(f: UpFailure): CacError {
  const all = f.stderrLines.join('\n');
  const message = f.outcome?.message ?? `devcontainer up exited ${f.exitCode}`;
  if (isEngineDown(all) || isEngineDown(message)) return engineUnreachable(lastMatching(f.stderrLines, /daemon|connect/i) ?? message);
  if (isComposeMissing(message) || isComposeMissing(all)) return composeMissing(f.where ?? "the engine's host", message);
  if (f.outcome?.description === 'An error occurred building the image.' || /^Command failed: docker (buildx )?build /.test(message)) {
    return new CacError('ERR_BUILD_FAILED', `building the dev container image failed (full log: ${f.logFile})`, {
      hint: 'fix the Dockerfile or the features; the last 20 lines of the build are shown above',
      details: { logFile: f.logFile, excerpt: f.buildTail.slice(-20).join('\n') },
    });
  }
  const pulled = /^Command failed: docker pull (\S+)/.exec(message)?.[1];
  if (pulled || /No such image|pull access denied|manifest unknown/i.test(all)) {
    const image = pulled ?? 'the image';
    return new CacError('ERR_IMAGE_NOT_FOUND', `image ${image} not found locally and could not be pulled`, {
      hint: `build or load it first (docker build / docker load), or fix "image" in devcontainer.json; full log: ${f.logFile}`,
      details: { logFile: f.logFile, image },
    });
  }
  return new CacError('ERR_DEVCONTAINER_UP', `devcontainer up failed: ${message}${f.outcome?.description ? ` (${f.outcome.description})` : ''}`, {
    hint: `see the full log: ${f.logFile}; run with --verbose to stream it`,
    details: { logFile: f.logFile, excerpt: f.stderrLines.slice(-20).join('\n') },
  });
}

function lastMatching(lines: string[], re: RegExp): string | undefined {
  return [...lines].reverse().find((l) => re.test(l));
}
