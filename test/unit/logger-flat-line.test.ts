/**
 * `infoFlat` (src/main/logger.ts) writes the same line pino's `info` writes for a flat record:
 * same keys, order and values, with the logger's bindings, escaping, and level filtering.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/main/logger.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function linesOf(level: string, write: (logger: ReturnType<typeof createLogger>) => void): Promise<Array<Record<string, unknown>>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bbws-logger-'));
  dirs.push(dataDir);
  const logger = createLogger({ level, dataDir, stdout: false, role: 'api' });
  write(logger);
  logger.flush();
  await new Promise((r) => setTimeout(r, 50));
  const text = readFileSync(join(dataDir, 'logs', 'bbws.jsonl'), 'utf8');
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

const withoutTime = ({ '@timestamp': t, ...rest }: Record<string, unknown>) => {
  expect(typeof t).toBe('string');
  expect(Number.isNaN(Date.parse(t as string))).toBe(false);
  return rest;
};

describe('infoFlat', () => {
  const fields = {
    correlationId: 'c-1',
    tenantId: undefined,
    action: 'GET /v1.0/tenants/:tenantId',
    path: '/v1.0/tenants/"quoted"\\back\nline\u2028é😀',
    statusCode: 200,
    '@duration': 0.42,
    ratio: Number.NaN,
    errorCode: undefined,
  };
  const msg = 'GET /x 200 "REPORT"\tRequestId: c-1';

  it('writes what info writes for the same record, key for key and in the same order', async () => {
    const [viaInfo, viaFlat] = await linesOf('info', (logger) => {
      logger.info({ ...fields }, msg);
      logger.infoFlat(fields, msg);
    });
    expect(withoutTime(viaFlat)).toEqual(withoutTime(viaInfo));
    expect(Object.keys(viaFlat)).toEqual(Object.keys(viaInfo));
    expect(viaFlat).toMatchObject({ level: 'INFO', role: 'api', pid: process.pid, statusCode: 200, ratio: null, '@message': msg });
    expect('tenantId' in viaFlat).toBe(false);
  });

  it("carries a child's and a grandchild's bindings, and their level", async () => {
    const [viaInfo, viaFlat, grandInfo, grandFlat, ...rest] = await linesOf('info', (logger) => {
      const child = logger.child({ component: 'api', tenantId: 'acme' });
      child.info({ a: 'b' }, 'm');
      child.infoFlat({ a: 'b' }, 'm');
      const grandchild = child.child({ siteId: 'shop' });
      grandchild.info({ a: 'c' }, 'g');
      grandchild.infoFlat({ a: 'c' }, 'g');
      const quiet = (logger as unknown as { child(b: object, o: object): typeof logger }).child({ component: 'quiet' }, { level: 'warn' });
      quiet.infoFlat({ a: 'd' }, 'dropped');
    });
    expect(withoutTime(viaFlat)).toEqual(withoutTime(viaInfo));
    expect(viaFlat).toMatchObject({ component: 'api', tenantId: 'acme' });
    expect(withoutTime(grandFlat)).toEqual(withoutTime(grandInfo));
    expect(grandInfo).toMatchObject({ component: 'api', tenantId: 'acme', siteId: 'shop' });
    expect(rest).toEqual([]);
  });

  it('writes nothing when the level is above info, and keeps order with other lines', async () => {
    expect(await linesOf('warn', (logger) => logger.infoFlat({ a: 'b' }, 'dropped'))).toEqual([]);
    const lines = await linesOf('info', (logger) => {
      logger.info({ n: 1 }, 'one');
      logger.infoFlat({ n: 2 }, 'two');
      logger.warn({ n: 3 }, 'three');
      logger.infoFlat({ n: 4 }, 'four');
    });
    expect(lines.map((l) => l.n)).toEqual([1, 2, 3, 4]);
  });
});
