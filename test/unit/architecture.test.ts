/**
 * The layering of src/ (docs/architecture.md "Layers"): each layer imports only the layers and
 * packages its allow-list names, and no import cycle exists. The check is proved by planting
 * each kind of violation in a temporary tree and asserting that it is reported.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkBoundaries, importsOf, type BoundaryReport } from '../support/import-boundaries.js';

const describeViolations = (r: BoundaryReport) => r.violations.map((v) => `${v.file}:${v.line} ${v.form} '${v.specifier}': ${v.reason}`);

describe('architecture boundaries of src/', () => {
  const report = checkBoundaries('src');

  it('every import follows the layer allow-list', () => {
    expect(describeViolations(report)).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(report.cycles.map((c) => c.join(' → '))).toEqual([]);
  });
});

describe('the import parser', () => {
  it('reads every import form, with either quote', () => {
    const text = [
      `import a from './a.js';`,
      `import type { B } from "./b.js";`,
      `import { type C, d } from './c.js';`,
      `export { e } from '../e.js';`,
      `export * from "./f.js";`,
      `import g = require('./g.js');`,
      `const h = require("./h.js");`,
      `const i = await import('./i.js');`,
      `let j: typeof import('./j.js');`,
      'const k = await import(`./k.js`);',
      'const l = await import(name);',
      `import './side-effect.js';`,
    ].join('\n');
    expect(importsOf('x.ts', text).map((r) => [r.specifier, r.form])).toEqual([
      ['./a.js', 'static'],
      ['./b.js', 'type'],
      ['./c.js', 'static'],
      ['../e.js', 'export-from'],
      ['./f.js', 'export-from'],
      ['./g.js', 'require'],
      ['./h.js', 'require'],
      ['./i.js', 'dynamic'],
      ['./j.js', 'import-type'],
      ['./k.js', 'dynamic'],
      [null, 'dynamic'],
      ['./side-effect.js', 'static'],
    ]);
  });
});

describe('planted violations are reported', () => {
  let root: string | undefined;
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
    root = undefined;
  });

  /** A tree with one harmless file per layer, plus the planted files. */
  function plant(files: Record<string, string>): BoundaryReport {
    root = mkdtempSync(join(tmpdir(), 'bbws-arch-'));
    const tree: Record<string, string> = {
      'domain/site.ts': 'export const x = 1;\n',
      'ports/store.ts': `import type { x } from '../domain/site.js';\nexport type S = typeof x;\n`,
      'app/use-case.ts': `import type { S } from '../ports/store.js';\nexport const u = (s: S) => s;\n`,
      'adapters/store/sqlite.ts': `import { readFileSync } from 'node:fs';\nimport type { S } from '../../ports/store.js';\nexport const a = (s: S) => [s, readFileSync];\n`,
      'http/build-app.ts': `import { u } from '../app/use-case.js';\nimport type { FastifyInstance } from 'fastify';\nexport const b = (f: FastifyInstance) => [f, u];\n`,
      'main/platform.ts': `import { a } from '../adapters/store/sqlite.js';\nimport { b } from '../http/build-app.js';\nexport const m = [a, b];\n`,
      ...files,
    };
    for (const [path, text] of Object.entries(tree)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    return checkBoundaries(root);
  }

  it('the unplanted tree is clean (the cases below fail only because of what they plant)', () => {
    const r = plant({});
    expect(describeViolations(r)).toEqual([]);
    expect(r.cycles).toEqual([]);
  });

  const cases: Array<[string, string, string, RegExp]> = [
    ['domain importing ports', 'domain/bad.ts', `import type { S } from '../ports/store.js';`, /domain may not import ports/],
    ['domain importing bare fs', 'domain/bad.ts', `import { readFileSync } from 'fs';`, /domain may not import the package node:fs/],
    ['domain importing node:child_process', 'domain/bad.ts', `import { execFile } from "node:child_process";`, /domain may not import the package node:child_process/],
    ['ports importing app', 'ports/bad.ts', `export { u } from '../app/use-case.js';`, /ports may not import app/],
    ['ports importing a driver', 'ports/bad.ts', `import type Database from 'better-sqlite3';`, /ports may not import the package better-sqlite3/],
    ['app importing an adapter dynamically', 'app/bad.ts', `export const load = () => import('../adapters/store/sqlite.js');`, /app may not import adapters/],
    ['app requiring node:fs', 'app/bad.ts', `const fs = require('fs');`, /app may not import the package node:fs/],
    ['app importing http with a type import', 'app/bad.ts', `import type { b } from "../http/build-app.js";`, /app may not import http/],
    ['app with a computed import()', 'app/bad.ts', `export const load = (p: string) => import(p);`, /computed specifier/],
    ['http importing an adapter', 'http/routes/bad.routes.ts', `import { a } from '../../adapters/store/sqlite.js';`, /http may not import adapters/],
    ['http importing main through a type query', 'http/bad.ts', `let m: typeof import('../main/platform.js');`, /http may not import main/],
    ['http importing node:fs', 'http/bad.ts', `import { readFile } from 'node:fs/promises';`, /http may not import the package node:fs\/promises/],
    ['adapters importing app', 'adapters/store/bad.ts', `import { u } from '../../app/use-case.js';`, /adapters may not import app/],
    ['adapters importing http', 'adapters/store/bad.ts', `import g = require('../../http/build-app.js');`, /adapters may not import http/],
  ];
  for (const [name, file, text, reason] of cases) {
    it(name, () => {
      const r = plant({ [file]: `${text}\n` });
      expect(describeViolations(r).join('\n')).toMatch(reason);
    });
  }

  it('main and cli may import anything', () => {
    const r = plant({
      'cli/commands/x.command.ts': `import { a } from '../../adapters/store/sqlite.js';\nimport { m } from '../../main/platform.js';\nimport { spawn } from 'node:child_process';\nexport const x = [a, m, spawn];\n`,
    });
    expect(describeViolations(r)).toEqual([]);
  });

  it('a cycle between two files', () => {
    const r = plant({
      'http/build-app.ts': `import { r } from './routes/x.routes.js';\nexport const principalOf = () => r;\n`,
      'http/routes/x.routes.ts': `import { principalOf } from '../build-app.js';\nexport const r = () => principalOf;\n`,
    });
    expect(r.cycles.map((c) => c.join(' → '))).toEqual(['http/build-app.ts → http/routes/x.routes.ts → http/build-app.ts']);
  });

  it('a longer cycle through a type import and an export-from', () => {
    const r = plant({
      'app/a.ts': `import type { B } from './b.js';\nexport type A = B;\n`,
      'app/b.ts': `export { c as B } from './c.js';\n`,
      'app/c.ts': `import type { A } from './a.js';\nexport const c = 1 as unknown as A;\n`,
    });
    expect(r.cycles).toHaveLength(1);
    expect([...r.cycles[0]].sort()).toEqual(['app/a.ts', 'app/a.ts', 'app/b.ts', 'app/c.ts'].sort());
  });
});
