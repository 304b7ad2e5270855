/**
 * The count of the edge's limit answers (limit-responses.ts) from lines as nginx writes them
 * (render-nginx-limits.ts log_format bbws_limits): which limit, which tenant (by the host's
 * route), a 429 of the site's own PHP not counted, and each line read once across restarts.
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLimitResponseWatch } from '../../src/adapters/runtime/local/limit-responses.js';
import { LIMIT_RESPONSES_LOG } from '../../src/adapters/runtime/local/render-nginx-limits.js';

let root: string;
const edgeDir = () => join(root, 'edge');
const routesDir = () => join(root, 'edge', 'routes');
const answer = (host: string, status: number, req = '', conn = '', upstream = '') =>
  JSON.stringify({ time: '2030-01-01T00:00:00+00:00', ip: '127.0.0.1', host, status, req, conn, upstream }) + '\n';
const log = (...lines: string[]) => appendFileSync(join(edgeDir(), 'logs', LIMIT_RESPONSES_LOG), lines.join(''));

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'bbws-limit-responses-'));
  mkdirSync(join(root, 'edge', 'logs'), { recursive: true });
  mkdirSync(routesDir());
  for (const t of ['acme', 'other']) {
    mkdirSync(join(root, 'tenants', t, 'www'), { recursive: true });
    symlinkSync(join(root, 'tenants', t, 'www'), join(routesDir(), `${t}.wpdev.localhost`));
  }
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('limit responses', () => {
  it('counts each answer once, per tenant, limit and status', () => {
    const watch = createLimitResponseWatch({ edgeDir: edgeDir(), routesDir: routesDir() });
    log(
      answer('acme.wpdev.localhost', 429, 'REJECTED'),
      answer('acme.wpdev.localhost', 429, 'REJECTED'),
      answer('acme.wpdev.localhost', 429, 'PASSED', 'REJECTED'),
      answer('acme.wpdev.localhost', 413, 'PASSED', 'PASSED', '413'),
      answer('other.wpdev.localhost', 507, 'PASSED', 'PASSED', '507'),
      answer('other.wpdev.localhost', 429),
      answer('other.wpdev.localhost', 429, 'PASSED', 'PASSED', '429'), // the site's own PHP
      answer('gone.wpdev.localhost', 413),
      'not json\n',
      answer('acme.wpdev.localhost', 429, 'REJECTED').slice(0, 30), // still being written
    );
    expect(watch.poll()).toEqual([
      { tenantId: 'acme', limit: 'requestsPerSecond', status: 429, count: 2 },
      { tenantId: 'acme', limit: 'connections', status: 429, count: 1 },
      { tenantId: 'acme', limit: 'uploadMaxMb', status: 413, count: 1 },
      { tenantId: 'other', limit: 'diskQuotaMb', status: 507, count: 1 },
      { tenantId: 'other', limit: 'loginBlock', status: 429, count: 1 },
      { tenantId: null, limit: 'uploadMaxMb', status: 413, count: 1 },
    ]);
    expect(watch.poll()).toEqual([]);
    log(answer('acme.wpdev.localhost', 429, 'REJECTED').slice(30));
    // A new watch (bbws restarted) goes on where the last one stopped.
    expect(createLimitResponseWatch({ edgeDir: edgeDir(), routesDir: routesDir() }).poll()).toEqual([{ tenantId: 'acme', limit: 'requestsPerSecond', status: 429, count: 1 }]);
  });

  it('starts at the end of a log it has never read', () => {
    log(answer('acme.wpdev.localhost', 429, 'REJECTED'));
    const watch = createLimitResponseWatch({ edgeDir: edgeDir(), routesDir: routesDir() });
    expect(watch.poll()).toEqual([]);
    log(answer('acme.wpdev.localhost', 413));
    expect(watch.poll()).toEqual([{ tenantId: 'acme', limit: 'uploadMaxMb', status: 413, count: 1 }]);
  });
});
