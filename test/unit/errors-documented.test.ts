import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS } from '../../src/domain/errors.js';

describe('error registry', () => {
  const doc = readFileSync('docs/errors.md', 'utf8');
  for (const [code, def] of Object.entries(ERRORS)) {
    it(`${code} is documented with its status`, () => {
      expect(doc).toMatch(new RegExp(`\\| \`${code}\` \\| ${def.status} \\|`));
    });
  }
});
