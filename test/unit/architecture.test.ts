import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** STYLE.md rule 3: domain/ and app/ import no infrastructure; ports mention no driver types. */
const FORBIDDEN = [/from 'node:child_process'/, /from 'node:fs'/, /from 'node:fs\/promises'/, /from 'better-sqlite3'/, /from '@aws-sdk\//, /from 'fastify'/, /from 'pino'/, /from 'prom-client'/, /from '\.\.\/adapters\//, /from '\.\.\/http\//, /from '\.\.\/main\//];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('architecture boundaries', () => {
  for (const layer of ['src/domain', 'src/app', 'src/ports']) {
    it(`${layer} imports no infrastructure`, () => {
      const offenders = files(layer).flatMap((f) => {
        const text = readFileSync(f, 'utf8');
        return FORBIDDEN.filter((re) => re.test(text)).map((re) => `${f}: ${re}`);
      });
      expect(offenders).toEqual([]);
    });
  }
  it('domain imports nothing outside domain', () => {
    const offenders = files('src/domain').filter((f) => /from '\.\.\//.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
