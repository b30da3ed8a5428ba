// The package version, inlined at build time by esbuild (scripts/build.mjs); read from package.json
// when running from source (tests, tsx).
import { createRequire } from 'node:module';

declare const __CAC_VERSION__: string | undefined;

/** cac's version (package.json). */
export const VERSION: string = typeof __CAC_VERSION__ === 'string' ? __CAC_VERSION__ : (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
