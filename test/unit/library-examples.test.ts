// examples/library/ is documentation that must compile: the Basic Usage and the facade are type-checked
// against the library's declarations as the build emits them (tsconfig.build.json), imported by the
// package's name, as a user's code imports them. Every name the library exports has a doc comment.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLES = join(ROOT, 'examples/library');

/** The .d.ts files `node scripts/build.mjs` writes to dist/, written to a temp dir instead. */
function emitDeclarations(): string {
  const out = mkdtempSync(join(tmpdir(), 'cac-dts-'));
  const parsed = ts.getParsedCommandLineOfConfigFile(
    join(ROOT, 'tsconfig.build.json'),
    { outDir: out },
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (!parsed) throw new Error('cannot read tsconfig.build.json');
  const program = ts.createProgram(parsed.fileNames, parsed.options);
  const emitted = program.emit(undefined, undefined, undefined, true);
  expect(
    ts
      .getPreEmitDiagnostics(program)
      .concat(emitted.diagnostics)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')),
  ).toEqual([]);
  return out;
}

function diagnostics(files: string[], dts: string): string[] {
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts'],
    types: ['node'],
    typeRoots: [join(ROOT, 'node_modules/@types')],
    strict: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: true,
    noEmit: true,
    // the package's name resolves to the emitted declarations, as `import … from 'code-agent-controller'` does to dist/index.d.ts
    baseUrl: ROOT,
    paths: { 'code-agent-controller': [join(dts, 'index.d.ts')] },
  });
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.file ? `${d.file.fileName.replace(ROOT, '')}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

describe('examples/library against the built declarations', () => {
  const dts = emitDeclarations();

  it('basic-usage.ts and facade.ts type-check, importing the package by its name', () => {
    const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.ts'));
    expect(files.sort()).toEqual(['basic-usage.ts', 'facade.ts']);
    expect(
      diagnostics(
        files.map((f) => join(EXAMPLES, f)),
        dts,
      ),
    ).toEqual([]);
  });

  it('the check bites: a Basic Usage call with a wrong argument does not type-check', () => {
    const dir = mkdtempSync(join(EXAMPLES, '.tmp-'));
    const bad = join(dir, 'bad.ts');
    ts.sys.writeFile(bad, "import { AllocatorService } from 'code-agent-controller';\nnew AllocatorService({ store: 1, vmManager: 2, provisioner: 3 });\n");
    try {
      // the module resolved (no "cannot find module"): the call itself is what fails
      expect(diagnostics([bad], dts)).toEqual(['BoxStore', 'VmDriver', 'SshProvisioner'].map((t) => expect.stringMatching(new RegExp(`bad\\.ts:2: Type 'number' is not assignable to type '${t}'`))));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every name the library exports has a doc comment (in the declarations users read)', () => {
    const file = join(dts, 'index.d.ts');
    const program = ts.createProgram([file], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, skipLibCheck: true, noEmit: true });
    const checker = program.getTypeChecker();
    const source = program.getSourceFile(file);
    const module = source && checker.getSymbolAtLocation(source);
    if (!module) throw new Error(`cannot read ${file}`);
    const undocumented = checker
      .getExportsOfModule(module)
      .filter((s) => ts.displayPartsToString((s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s).getDocumentationComment(checker)).trim() === '')
      .map((s) => s.name);
    expect(undocumented).toEqual([]);
  });
});
