/** Secret fields out of log lines: where they are found, what is left alone, and the caller's object untouched. */
import { describe, expect, it } from 'vitest';
import { CENSOR, redactSecrets } from '../../src/main/log-redaction.js';

describe('log redaction', () => {
  it('censors secret fields at the top, one level down and in headers', () => {
    const input = { password: 'p1', input: { adminPassword: 'p2', tenantId: 'acme' }, req: { headers: { authorization: 'Bearer t', host: 'h' } }, headers: { cookie: 'c' }, tenantId: 'acme' };
    const out = redactSecrets(input);
    expect(out).toEqual({ password: CENSOR, input: { adminPassword: CENSOR, tenantId: 'acme' }, req: { headers: { authorization: CENSOR, host: 'h' } }, headers: { cookie: CENSOR }, tenantId: 'acme' });
    expect(JSON.stringify(out)).not.toMatch(/p1|p2|Bearer t|"c"/);
  });

  it('never modifies the caller\'s objects, and returns an object without secrets as it is', () => {
    const nested = { token: 'x' };
    const input = { a: nested, b: [1, { secret: 'in an array stays: arrays are not walked' }] };
    const out = redactSecrets(input);
    expect(nested.token).toBe('x');
    expect(out.a).toEqual({ token: CENSOR });
    const clean = { tenantId: 'acme', status: 'OK' };
    expect(redactSecrets(clean)).toBe(clean);
  });
});
