import { describe, expect, it } from 'vitest';
import { missingExtensions, packagesFor } from '../../src/adapters/runtime/local/prerequisites.js';

describe('bbws setup prerequisites', () => {
  it('counts every PHP extension as missing when PHP itself is (a fresh machine), only the absent ones otherwise', async () => {
    expect(packagesFor(missingExtensions([]))).toEqual(['php-curl', 'php-gd', 'php-intl', 'php-mbstring', 'php-mysql', 'php-xml', 'php-zip']);
    expect(packagesFor(missingExtensions(['mysqli', 'gd', 'curl', 'dom', 'mbstring', 'zip']))).toEqual(['php-intl']);
  });
});
