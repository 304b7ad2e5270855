/**
 * Would a persistent object cache (Redis) pay? (issue 15: add one only if a benchmark on a logged-in
 * or uncacheable page shows that it pays.) On the local runtime (real MariaDB, php-fpm, nginx,
 * WordPress; one tenant, one installed site with `--posts` posts), this measures, per request, the
 * whole PHP render and the time WordPress spends waiting on the database (`SAVEQUERIES`, summed by a
 * bench-only must-use plugin at shutdown), for:
 *
 * - the homepage with the page cache off (every request is PHP: what an anonymous visitor costs on
 *   an uncacheable page);
 * - the admin dashboard (`/wp-admin/`), logged in.
 *
 * The database time is the most a persistent object cache could save (it replaces queries with
 * cache reads, which cost a round trip of their own): if that share is small, Redis cannot pay.
 * The queries WordPress runs before must-use plugins load (the autoloaded options) are not timed;
 * the figures give both counts.
 *
 *   node --import tsx bench/object-cache.bench.ts [--requests 40] [--posts 200] [--json]
 *
 * Needs root and the Debian packages (`bbws setup`). Everything it starts is removed at the end.
 */
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { muPluginsDir } from '../src/adapters/runtime/local/tenant-files.js';
import { createLocalSecrets } from '../src/adapters/secrets/local.js';
import { createLocalWordPress } from '../src/adapters/wordpress/local/local-wordpress.js';
import type { SiteRef } from '../src/ports/wordpress.js';
import { edgeClient, logInToWordPress, type EdgeClient } from '../test/support/edge-client.js';
import { runSteps, silentLogger, spec, startTestRuntime } from '../test/support/local-runtime-harness.js';
import { fmt, median } from './lib/stats.js';

const { values: args } = parseArgs({
  options: { json: { type: 'boolean', default: false }, requests: { type: 'string', default: '40' }, posts: { type: 'string', default: '200' } },
});
const log = (msg: string) => process.stderr.write(`${msg}\n`);
const site: SiteRef = { tenantId: 'benchobj', siteId: 'benchobj01', hostnames: ['home.benchobj.wpdev.localhost'] };
const password = 'correct-horse-battery-1';
const LOG_NAME = 'bench-db-time.log';

/** Appends "total_ms db_ms timed_queries all_queries" for each request, to a file in the tenant's uploads. */
const MU_PLUGIN = `<?php
// bench/object-cache.bench.ts only: how long this request waited on the database.
if (!defined('SAVEQUERIES')) define('SAVEQUERIES', true);
add_action('shutdown', function () {
  global $wpdb;
  $db = 0.0;
  foreach ((array) $wpdb->queries as $q) $db += (float) $q[1];
  $total = microtime(true) - $_SERVER['REQUEST_TIME_FLOAT'];
  file_put_contents(WP_CONTENT_DIR . '/uploads/${LOG_NAME}', sprintf("%.3f %.3f %d %d\\n", $total * 1000, $db * 1000, count((array) $wpdb->queries), $wpdb->num_queries), FILE_APPEND);
}, PHP_INT_MAX);
`;

interface Sample { totalMs: number; dbMs: number; timed: number; all: number }

async function measure(client: EdgeClient, path: string, n: number, logFile: string): Promise<Sample[]> {
  for (let i = 0; i < 3; i++) await client.get(path); // opcache and MariaDB warm
  await rm(logFile, { force: true });
  for (let i = 0; i < n; i++) {
    const res = await client.get(path);
    if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}`);
  }
  const lines = (await readFile(logFile, 'utf8')).trim().split('\n');
  return lines.map((l) => {
    const [totalMs, dbMs, timed, all] = l.split(' ').map(Number);
    return { totalMs, dbMs, timed, all };
  });
}

async function main(): Promise<void> {
  const t = await startTestRuntime('dev');
  process.once('SIGINT', () => void t.cleanup().then(() => process.exit(130)));
  try {
    await runSteps(t.runtime.provisionSteps({ ...spec(site.tenantId), limits: { requestsPerSecond: 20000, connections: 1000 } }));
    const wp = createLocalWordPress({ runtime: t.runtime, secrets: createLocalSecrets({ dir: join(t.dataDir, 'secrets') }), config: t.runtime.config, logger: silentLogger() });
    // The page cache off: every request below is rendered by PHP.
    await wp.routeSite({ ...site, cache: { enabled: false, ttlSeconds: 600 } });
    await wp.installSite(site, { title: 'Bench Object Cache', adminUser: 'owner', adminEmail: 'owner@example.com', adminPassword: password });
    const posts = Number(args.posts);
    const editor = edgeClient(t.edgePort, site.hostnames[0]!);
    const nonce = await logInToWordPress(editor, 'owner', password);
    for (let i = 0; i < posts; i++) {
      const res = await editor.request('POST', '/?rest_route=/wp/v2/posts', { headers: { 'Content-Type': 'application/json', 'X-WP-Nonce': nonce }, body: JSON.stringify({ title: `Post ${i}`, content: '<p>Lorem ipsum dolor sit amet.</p>'.repeat(10), status: 'publish' }) });
      if (res.status !== 201) throw new Error(`post ${i}: HTTP ${res.status}`);
    }
    const plugin = join(muPluginsDir(t.runtime.tenantPaths(site.tenantId)), 'zz-bench-db-time.php');
    await writeFile(plugin, MU_PLUGIN);
    await chmod(plugin, 0o644);
    const logFile = join(t.runtime.tenantPaths(site.tenantId).content, 'uploads', LOG_NAME);
    const n = Number(args.requests);
    log(`${posts} posts; ${n} requests per page, one at a time`);
    const pages = {
      'homepage, page cache off (anonymous)': await measure(edgeClient(t.edgePort, site.hostnames[0]!), '/', n, logFile),
      'dashboard /wp-admin/ (logged in)': await measure(editor, '/wp-admin/', n, logFile),
    };
    const rows = Object.entries(pages).map(([page, s]) => {
      const total = median(s.map((x) => x.totalMs));
      const db = median(s.map((x) => x.dbMs));
      const share = median(s.map((x) => x.dbMs / x.totalMs));
      return { page, requests: s.length, renderMs: total, dbMs: db, dbShare: share, queries: median(s.map((x) => x.all)), timedQueries: median(s.map((x) => x.timed)) };
    });
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ posts, rows }, null, 2)}\n`);
      return;
    }
    process.stdout.write('| page | requests | render ms (median) | database ms (median) | database share (median) | queries (timed) |\n|---|---:|---:|---:|---:|---:|\n');
    for (const r of rows) process.stdout.write(`| ${r.page} | ${r.requests} | ${fmt(r.renderMs, 1)} | ${fmt(r.dbMs, 1)} | ${(100 * r.dbShare).toFixed(1)} % | ${r.queries} (${r.timedQueries}) |\n`);
    const most = Math.max(...rows.map((r) => r.dbShare));
    process.stdout.write(`\nthe most a persistent object cache could save: ${(100 * most).toFixed(1)} % of a render (all of its database time)\n`);
  } finally {
    await t.cleanup();
  }
}

await main();
