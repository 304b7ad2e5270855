/**
 * readLineFields against JSON.parse on hostile lines: escaped quotes and backslashes, key-like
 * text inside values, unicode escapes, nested values and torn lines (null: parse the whole line).
 */
import { describe, expect, it } from 'vitest';
import { fieldKeys, readLineFields } from '../../src/adapters/logs/line-fields.js';

const FIELDS = ['@message', 'statusCode', 'tenantId', 'ok', 'missing', 'a"b'];
const KEYS = fieldKeys(FIELDS);
const pick = (line: string) => {
  const full = JSON.parse(line) as Record<string, unknown>;
  return Object.fromEntries(FIELDS.filter((f) => f in full).map((f) => [f, full[f]]));
};

describe('readLineFields', () => {
  const flat = [
    { '@message': 'plain', statusCode: 404, tenantId: 'acme', ok: true },
    { '@message': 'say "statusCode":500, then \\ and \\"', statusCode: 200, tenantId: 'x' },
    { tenantId: 'e\u00e9\u2028\n\t', '@message': '"tenantId":"evil"', ok: false, statusCode: -1.5e3 },
    { 'x"statusCode': 1, statusCode: 2, '@message': null },
    { 'a"b': 'quoted key', '@message': 'ends with backslash \\' },
  ];
  flat.forEach((record, i) => {
    it(`reads ${JSON.stringify(record).slice(0, 40)}… as JSON.parse does`, () => {
      const line = JSON.stringify({ level: 'INFO', ...record });
      const got = readLineFields(line, FIELDS, KEYS);
      // Only a key with a quote just before a wanted name (`"x\"statusCode":`) makes it give up.
      if (i === 3) expect(got).toBeNull();
      else expect(got).toEqual(pick(line));
    });
  });
  it('gives up (null) on nested values and torn lines', () => {
    expect(readLineFields(JSON.stringify({ statusCode: 1, err: { statusCode: 2 } }), FIELDS, KEYS)).toBeNull();
    expect(readLineFields(JSON.stringify({ tags: ['a'], statusCode: 1 }), FIELDS, KEYS)).toBeNull();
    expect(readLineFields('{"level":"INFO","statusCode":404,"tena', FIELDS, KEYS)).toBeNull();
  });
  it('reads the platform line shape without falling back', () => {
    const line = JSON.stringify({ level: 'INFO', '@timestamp': '2030-01-01T00:00:00.000Z', '@message': 'GET /v1.0/x 404', statusCode: 404, tenantId: 'acme' });
    expect(readLineFields(line, FIELDS, KEYS)).toEqual({ '@message': 'GET /v1.0/x 404', statusCode: 404, tenantId: 'acme' });
  });
});
