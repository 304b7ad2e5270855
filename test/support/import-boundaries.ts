/**
 * The layering check behind test/unit/architecture.test.ts. Every import form is read with the
 * TypeScript parser (not a regex): `import`/`import type`, `export … from`, `import x = require()`,
 * `require()`, `import()` and `typeof import('…')` types. Relative specifiers are resolved to a file
 * and so to its layer (`src/<layer>/…`); bare ones (`fs` or `node:fs`, `fastify`) are checked against
 * the layer's package allow-list. Imports between files of `src/` also form the graph whose cycles
 * are reported.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

export const LAYERS = ['domain', 'ports', 'app', 'http', 'adapters', 'main', 'cli'] as const;
export type Layer = (typeof LAYERS)[number];

/** Which other layers a layer may import (its own is always allowed). */
export const ALLOWED_LAYERS: Record<Layer, readonly Layer[]> = {
  domain: [],
  ports: ['domain'],
  app: ['domain', 'ports'],
  http: ['app', 'ports', 'domain'],
  adapters: ['ports', 'domain'],
  main: LAYERS,
  cli: LAYERS,
};

/** Pure Node built-ins (no I/O): any layer may use them. */
const PURE_BUILTINS = new Set(['node:crypto', 'node:util', 'node:events', 'node:url', 'node:buffer', 'node:string_decoder', 'node:assert', 'node:timers', 'node:timers/promises']);

/** Which packages (bare specifiers) a layer may import; `*` allows any. */
const ALLOWED_PACKAGES: Record<Layer, readonly (string | RegExp)[]> = {
  domain: [],
  ports: [],
  app: [],
  http: ['fastify', /^@fastify\//, '@sinclair/typebox', 'node:http', 'node:net'],
  adapters: ['*'],
  main: ['*'],
  cli: ['*'],
};

export interface ImportRef {
  file: string;
  specifier: string;
  /** `static`, `type`, `export-from`, `dynamic`, `require`, `import-type`. */
  form: string;
  line: number;
}

export interface Violation {
  file: string;
  line: number;
  specifier: string;
  form: string;
  reason: string;
}

const BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith('_')));

/** `fs` and `node:fs` are the same module. */
export function normalizePackage(specifier: string): string {
  if (specifier.startsWith('node:')) return specifier;
  return BUILTINS.has(specifier) ? `node:${specifier}` : specifier;
}

/** Every import of one file's text, whatever its form. A computed `import(x)` has specifier `null`. */
export function importsOf(file: string, text: string): Array<Omit<ImportRef, 'specifier'> & { specifier: string | null }> {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: Array<Omit<ImportRef, 'specifier'> & { specifier: string | null }> = [];
  const add = (node: ts.Node, spec: ts.Expression | undefined, form: string): void => {
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    const specifier = spec && (ts.isStringLiteral(spec) || ts.isNoSubstitutionTemplateLiteral(spec)) ? spec.text : null;
    found.push({ file, specifier, form, line });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) add(node, node.moduleSpecifier, node.importClause?.isTypeOnly ? 'type' : 'static');
    else if (ts.isExportDeclaration(node) && node.moduleSpecifier) add(node, node.moduleSpecifier, 'export-from');
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node, node.moduleReference.expression, 'require');
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node, node.arguments[0], 'dynamic');
    else if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'require') add(node, node.arguments[0], 'require');
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node, node.argument.literal as ts.Expression, 'import-type');
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

export function listSourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? listSourceFiles(p) : /\.(ts|mts|cts)$/.test(p) && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** `src/<layer>/…` → layer; undefined outside the known layers. */
export function layerOf(srcRoot: string, file: string): Layer | undefined {
  const rel = relative(srcRoot, file);
  if (rel.startsWith('..')) return undefined;
  const first = rel.split(sep)[0];
  return (LAYERS as readonly string[]).includes(first) ? (first as Layer) : undefined;
}

/** A relative specifier (`./x.js`, `../x`, `./dir`) → the `.ts` file it names. */
function resolveRelative(from: string, specifier: string): string {
  const base = resolve(dirname(from), specifier);
  if (/\.(c|m)?js$/.test(base)) return base.replace(/js$/, 'ts');
  if (/\.(c|m)?ts$/.test(base)) return base;
  try {
    if (statSync(base).isDirectory()) return join(base, 'index.ts');
  } catch {
    // not a directory: a file named without its extension
  }
  return `${base}.ts`;
}

export interface BoundaryReport {
  violations: Violation[];
  /** Each cycle as the files around it, relative to the root, first file repeated at the end. */
  cycles: string[][];
}

/** Checks every file under `srcRoot` (a `src/` directory laid out by layer). */
export function checkBoundaries(srcRoot: string): BoundaryReport {
  const root = resolve(srcRoot);
  const files = listSourceFiles(root);
  const violations: Violation[] = [];
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const layer = layerOf(root, file);
    const edges: string[] = [];
    graph.set(file, edges);
    for (const ref of importsOf(file, readFileSync(file, 'utf8'))) {
      const report = (reason: string) => violations.push({ file: relative(root, file), line: ref.line, specifier: ref.specifier ?? '(computed)', form: ref.form, reason });
      if (!layer) {
        report('file outside the known layers');
        continue;
      }
      if (ref.specifier === null) {
        if (!ALLOWED_PACKAGES[layer].includes('*')) report(`${layer} may not import a computed specifier`);
        continue;
      }
      if (ref.specifier.startsWith('.')) {
        const target = resolveRelative(file, ref.specifier);
        const targetLayer = layerOf(root, target);
        if (!targetLayer) report(`${layer} imports a file outside src/ layers`);
        else if (targetLayer !== layer && !ALLOWED_LAYERS[layer].includes(targetLayer)) report(`${layer} may not import ${targetLayer}`);
        edges.push(target);
        continue;
      }
      const pkg = normalizePackage(ref.specifier);
      if (PURE_BUILTINS.has(pkg)) continue;
      const allowed = ALLOWED_PACKAGES[layer];
      const ok = allowed.some((a) => a === '*' || (typeof a === 'string' ? pkg === a || pkg.startsWith(`${a}/`) : a.test(pkg)));
      if (!ok) report(`${layer} may not import the package ${pkg}`);
    }
  }
  return { violations, cycles: findCycles(graph).map((c) => c.map((f) => relative(root, f))) };
}

/** Strongly connected components of more than one file (or a file importing itself), as cycles. */
export function findCycles(graph: Map<string, string[]>): string[][] {
  // Tarjan's algorithm, iterative enough for a few hundred files.
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const strongConnect = (v: string): void => {
    indexOf.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!indexOf.has(w)) {
        strongConnect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indexOf.get(w)!));
    }
    if (low.get(v) !== indexOf.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(pathThrough(graph, new Set(component), component[component.length - 1]));
  };
  for (const v of graph.keys()) if (!indexOf.has(v)) strongConnect(v);
  return cycles;
}

/** One concrete cycle inside a strongly connected component, starting and ending at `start`. */
function pathThrough(graph: Map<string, string[]>, component: Set<string>, start: string): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!component.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let x = v; x !== start; x = previous.get(x)!) path.splice(1, 0, x);
        return [...path, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}
