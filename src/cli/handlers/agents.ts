// Agent commands (filled in by the agents issue).
import { notImplemented } from '../commands/not-implemented.js';

export const doctor = notImplemented;
export const sync = notImplemented;
export const pull = notImplemented;
