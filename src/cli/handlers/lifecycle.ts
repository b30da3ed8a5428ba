// Local devcontainer lifecycle handlers (filled in by the lifecycle issue).
import { notImplemented } from '../commands/not-implemented.js';

export const up = notImplemented;
export const start = notImplemented;
export const stop = notImplemented;
export const rebuild = notImplemented;
export const down = notImplemented;
export const exec = notImplemented;
export const list = notImplemented;
