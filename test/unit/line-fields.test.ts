/**
 * createFieldReader against JSON.parse on hostile lines: escaped quotes and backslashes, key-like
 * text inside values, brackets inside strings, unicode, repeated keys, nested values, spaced and
 * torn lines. It either reads exactly what JSON.parse reads, or gives up (null: parse the line).
 */
import { describe, expect, it } from 'vitest';
import { createFieldReader } from '../../src/adapters/logs/line-fields.js';

const FIELDS = ['@message', 'statusCode', 'tenantId', 'ok', 'missing', 'a"b', '@logStream'];
const reader = createFieldReader(FIELDS);
const pick = (line: string) => {
  const full = JSON.parse(line) as Record<string, unknown>;
  return Object.fromEntries(FIELDS.filter((f) => f in full).map((f) => [f, full[f]]));
};

describe('createFieldReader', () => {
  const lines = [
    JSON.stringify({ level: 'INFO', '@message': 'plain', statusCode: 404, tenantId: 'acme', ok: true }),
    JSON.stringify({ level: 'INFO', '@message': 'say "statusCode":500, then \\ and \\"', statusCode: 200, tenantId: 'x' }),
    JSON.stringify({ tenantId: 'e\u00e9\u2028\n\t', '@message': '"tenantId":"evil"', ok: false, statusCode: -1.5e3 }),
    JSON.stringify({ 'x"statusCode': 1, statusCode: 2, '@message': null }),
    JSON.stringify({ 'a"b': 'quoted key', '@message': 'ends with backslash \\' }),
    JSON.stringify({ '@logStream': '2030/01/01/[api+worker]4242', '@message': 'a [bracket] and {brace}', tenantId: 'é ü 日本', statusCode: 0 }),
    JSON.stringify({ '@message': 'tenantId:x, statusCode :1 ,}', statusCode: 1e21, ok: null, tenantId: '' }),
    '{"statusCode":1,"tenantId":"first","statusCode":2,"tenantId":"last"}',
    '{"statusCode":1,"err":{"statusCode":2}}',
    '{"tags":["a","statusCode"],"statusCode":1}',
    '{"statusCode": 404,"tenantId":"spaced"}',
    '{"statusCode" :404}',
    '{ "statusCode":404}',
    '{"statusCode":404,"tenantId":"x"} ',
    '{"a":1,"statusCode":-0.5E+2,"ok":false}',
    '{}',
  ];
  lines.forEach((line) => {
    it(`reads ${line.slice(0, 50)}… as JSON.parse does, or gives up`, () => {
      const got = reader.read(line);
      if (got !== null) expect(got).toEqual(pick(line));
    });
  });

  it('gives up (null) on escapes, nesting, spacing and torn lines', () => {
    for (const i of [1, 2, 3, 4, 8, 9, 10, 11, 12, 13]) expect(reader.read(lines[i]), lines[i]).toBeNull();
    expect(reader.read('{"level":"INFO","statusCode":404,"tena')).toBeNull();
    expect(reader.read('{"level":"INFO","statusCode":404,"tenantId":"acme"')).toBeNull();
    expect(reader.read('{"level":"INFO","@times{"level":"INFO","statusCode":404}')).toBeNull();
    expect(reader.read('{"statusCode":4x4}')).toBeNull();
    expect(reader.read('{"statusCode":0x10}')).toBeNull();
  });

  it('reads the platform line shape without falling back (brackets in @logStream, unicode, repeats)', () => {
    for (const i of [0, 5, 6, 7, 14]) expect(reader.read(lines[i]), lines[i]).toEqual(pick(lines[i]));
    const line = JSON.stringify({ level: 'INFO', '@timestamp': '2030-01-01T00:00:00.000Z', role: 'api', pid: 1, '@logStream': '2030/01/01/[api]1', '@message': 'GET /v1.0/x 404', statusCode: 404, tenantId: 'acme' });
    expect(reader.read(line)).toEqual({ '@logStream': '2030/01/01/[api]1', '@message': 'GET /v1.0/x 404', statusCode: 404, tenantId: 'acme' });
  });
});
