/**
 * The error registry and docs/errors.md agree both ways, as Fastify's errors test does: every
 * registry code has a row with the same HTTP status, kind and message, and the doc lists no code
 * the registry lacks (nor one twice).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS } from '../../src/domain/errors.js';

interface DocRow {
  code: string;
  status: number;
  kind: string;
  message: string;
}

/** The rows of the code table: `| \`CODE\` | status | kind | message | what to do |` (`\|` escapes a bar). */
function documentedCodes(markdown: string): DocRow[] {
  return markdown
    .split('\n')
    .filter((line) => /^\| `[A-Z0-9_]+` \|/.test(line))
    .map((line) => {
      const cells = line
        .slice(1, line.endsWith('|') ? -1 : undefined)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim().replaceAll('\\|', '|'));
      return { code: cells[0]!.replaceAll('`', ''), status: Number(cells[1]), kind: cells[2]!, message: cells[3]! };
    });
}

describe('error registry and docs/errors.md', () => {
  const rows = documentedCodes(readFileSync('docs/errors.md', 'utf8'));
  const byCode = new Map(rows.map((r) => [r.code, r]));

  for (const [code, def] of Object.entries(ERRORS)) {
    it(`${code} is documented with its status, kind and message`, () => {
      expect(byCode.get(code)).toEqual({ code, status: def.status, kind: def.kind, message: def.message });
    });
  }

  it('documents no code the registry lacks, and none twice', () => {
    expect(rows.map((r) => r.code).filter((c) => !(c in ERRORS))).toEqual([]);
    expect(rows.length).toBe(byCode.size);
  });

  it('the row parser reads a row with an escaped bar, and the check sees a missing one', () => {
    const parsed = documentedCodes('| `A_B` | 409 | user | One \\| two. | Do it. |\n| not a row |');
    expect(parsed).toEqual([{ code: 'A_B', status: 409, kind: 'user', message: 'One | two.' }]);
    expect(parsed.map((r) => r.code).filter((c) => !(c in ERRORS))).toEqual(['A_B']);
  });
});
