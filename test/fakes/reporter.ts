// A Reporter that keeps every event, for tests that check what a use case reported.
import type { Reporter, ReporterEvent } from '../../src/ports/reporter.js';

export function recordingReporter(): { reporter: Reporter; events: ReporterEvent[] } {
  const events: ReporterEvent[] = [];
  return { reporter: { emit: (e) => void events.push(e), close: () => undefined }, events };
}
