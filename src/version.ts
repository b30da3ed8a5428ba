// The package version, inlined at build time by esbuild (scripts/build.mjs) and by vitest's define.
declare const __CAC_VERSION__: string;
export const VERSION: string = __CAC_VERSION__;
