/**
 * Compiles a TypeScript entry point and everything it imports into plain ES modules a child
 * `node` process can run. Node 20 cannot run TypeScript and tsx is not a dependency; the
 * TypeScript compiler is. Output goes to a fresh directory under `node_modules/.cache/`, inside
 * the repository so `better-sqlite3` resolves, and away from `dist/` which `npm run build` owns.
 * Type errors in the compiled files fail the compile: a child must not run code tsc rejects.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export interface CompiledEntry {
  /** Absolute path of the compiled entry point. */
  file: string;
  /** Removes the output directory. */
  cleanup: () => void;
}

/** Compiles `entry` (absolute path, or relative to the repository root) and its imports. */
export function compileForNode(entry: string): CompiledEntry {
  const source = resolve(repoRoot, entry);
  const cacheDir = join(repoRoot, 'node_modules', '.cache', 'bbws-test');
  mkdirSync(cacheDir, { recursive: true });
  const outDir = mkdtempSync(join(cacheDir, 'build-'));
  try {
    const program = ts.createProgram([source], {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      esModuleInterop: true,
      skipLibCheck: true,
      types: ['node'],
      typeRoots: [join(repoRoot, 'node_modules', '@types')],
      rootDir: repoRoot,
      outDir,
    });
    const diagnostics = [...ts.getPreEmitDiagnostics(program), ...program.emit().diagnostics];
    if (diagnostics.length > 0) {
      const host = { getCanonicalFileName: (f: string) => f, getCurrentDirectory: () => repoRoot, getNewLine: () => '\n' };
      throw new Error(`compiling ${entry} failed:\n${ts.formatDiagnostics(diagnostics, host)}`);
    }
    // node_modules/ is outside the repository's package scope; say these files are ES modules.
    writeFileSync(join(outDir, 'package.json'), '{ "type": "module" }\n');
    return {
      file: join(outDir, relative(repoRoot, source)).replace(/\.ts$/, '.js'),
      cleanup: () => rmSync(outDir, { recursive: true, force: true }),
    };
  } catch (err) {
    rmSync(outDir, { recursive: true, force: true });
    throw err;
  }
}
