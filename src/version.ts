// cac's version; defined in util so that every layer (config's defaults too) may read it.
export { VERSION } from './util/version.js';
