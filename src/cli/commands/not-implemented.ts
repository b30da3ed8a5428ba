// Commands registered ahead of the issue that builds them fail loudly, never succeed silently.
import { CacError } from '../../errors.js';
import type { Handler } from '../action.js';

export const notImplemented: Handler = async (_ctx, input) => {
  throw new CacError('ERR_NOT_IMPLEMENTED', `'${input.path}' is not implemented yet`, {
    hint: "see 'cac --help' for the commands that work today",
  });
};
