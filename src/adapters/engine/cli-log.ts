// Turns the devcontainer CLI's `--log-format json` stream (one JSON object per line on stderr) into
// progress steps and plain log lines, and keeps the build output's tail for error messages.
import type { EngineEvent } from '../../ports/engine.js';
import { redact } from '../../util/redact.js';

interface CliLogLine {
  type?: string;
  text?: string;
  level?: number;
  name?: string;
  status?: string;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '').replace(/\r/g, '');
}

export class CliLogMapper {
  private open = new Set<string>();
  /** Build output lines (docker build's own output), newest last, bounded. */
  readonly buildTail: string[] = [];
  /** Every readable line, for the log file. */
  readonly lines: string[] = [];
  /** What the CLI did to the container: `docker run` / `compose up` (created) or `docker start` / `compose up --no-recreate` (started). */
  containerAction: 'created' | 'started' | undefined;

  /** `secrets`: values to replace with *** in every kept line (e.g. forwarded agent env values). */
  constructor(
    private readonly emit: (e: EngineEvent) => void,
    private readonly secrets: readonly string[] = [],
  ) {}

  /** Feed one line of the CLI's stderr. */
  line(raw: string): void {
    if (raw.trim() === '') return;
    let entry: CliLogLine;
    try {
      entry = JSON.parse(raw) as CliLogLine;
    } catch {
      return this.text(redact(raw, this.secrets));
    }
    const text = redact(stripAnsi(entry.text ?? ''), this.secrets);
    if (entry.type === 'progress' && entry.name) return this.progress(entry.name, entry.status);
    if (entry.type === 'start' && text.startsWith('Run: docker run ')) this.containerAction = 'created';
    if (entry.type === 'start' && text.startsWith('Run: docker start ')) this.containerAction ??= 'started';
    if (entry.type === 'start') this.composeUp(text);
    if (entry.type === 'start' || entry.type === 'stop') return this.step(entry.type, text);
    // trace entries (level 1) hold the container user's whole environment (userEnvProbe): never kept
    if ((entry.level ?? 2) < 2) return;
    if (entry.type === 'raw' && (entry.level ?? 0) >= 3) text.split('\n').forEach((l) => l.trim() && this.pushTail(l));
    this.text(text);
  }

  // A Compose config never runs `docker run`: `compose up -d` creates the services, and with
  // --no-recreate (the CLI found the service container stopped) it starts them.
  private composeUp(text: string): void {
    if (!COMPOSE_RUN.test(text) || !/ up -d( |$)/.test(text)) return;
    this.containerAction = / --no-recreate( |$)/.test(text) ? (this.containerAction ?? 'started') : 'created';
  }

  /** Close steps still open (the CLI stopped early). */
  failOpen(): void {
    for (const id of this.open) this.emit({ type: 'step.fail', id });
    this.open.clear();
  }

  private step(kind: 'start' | 'stop', text: string): void {
    const step = stepOf(text);
    if (!step) return;
    if (kind === 'start' && !this.open.has(step.id)) {
      this.open.add(step.id);
      this.emit({ type: 'step.start', id: step.id, title: step.title });
    } else if (kind === 'stop' && this.open.delete(step.id)) {
      this.emit({ type: 'step.ok', id: step.id });
    }
  }

  private progress(name: string, status: string | undefined): void {
    const id = name.replace(/\.\.\.$/, '');
    if (status === 'running' && !this.open.has(id)) {
      this.open.add(id);
      this.emit({ type: 'step.start', id, title: id });
    } else if (status === 'succeeded' || status === 'failed') {
      if (this.open.delete(id)) this.emit({ type: status === 'succeeded' ? 'step.ok' : 'step.fail', id });
    }
  }

  private text(text: string): void {
    for (const l of text.split('\n')) {
      if (l.trim() === '') continue;
      this.lines.push(l);
      this.emit({ type: 'log', line: l });
    }
  }

  private pushTail(l: string): void {
    this.buildTail.push(l);
    if (this.buildTail.length > 200) this.buildTail.shift();
  }
}

const COMPOSE_RUN = /^Run: (\S*docker-compose|\S*docker compose) /;

function stepOf(text: string): { id: string; title: string } | undefined {
  if (COMPOSE_RUN.test(text) && / build( |$)/.test(text)) return { id: 'build', title: 'Building services' };
  if (COMPOSE_RUN.test(text) && / up -d( |$)/.test(text)) return { id: 'start', title: 'Starting services' };
  if (/^Run: docker (buildx )?build /.test(text)) {
    return text.includes('updateUID') ? { id: 'uid', title: 'Updating the remote user UID' } : { id: 'build', title: 'Building image' };
  }
  if (text === 'Starting container') return { id: 'start', title: 'Starting container' };
  return undefined;
}
