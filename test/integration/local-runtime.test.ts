/**
 * The local runtime against real MariaDB, php-fpm, nginx and Debian's WordPress. Each describe
 * block starts its own runtime (temp data dir, ephemeral ports); afterAll kills every child by PID.
 */
import { execFile } from 'node:child_process';
import { access, readdir, readFile, rename, stat, symlink, writeFile, chown, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BBWS_ID_RANGE, lookupUser } from '../../src/adapters/runtime/local/unix-users.js';
import { runSteps, spec, startTestRuntime, type TestRuntime } from '../support/local-runtime-harness.js';

const exec = promisify(execFile);
const isRoot = process.getuid?.() === 0;

async function curl(t: TestRuntime, host: string, path = '/', auth?: string): Promise<{ status: number; location: string; body: string }> {
  const args = ['-s', '-o', '-', '-w', '\n%{http_code} %{redirect_url}', '-H', `Host: ${host}`];
  if (auth) args.push('-u', auth);
  const { stdout } = await exec('curl', [...args, `http://127.0.0.1:${t.edgePort}${path}`]);
  const nl = stdout.lastIndexOf('\n');
  const [status, location] = stdout.slice(nl + 1).split(' ');
  return { status: Number(status), location: location ?? '', body: stdout.slice(0, nl) };
}

const exists = (p: string) => access(p).then(() => true, () => false);

async function databaseExists(t: TestRuntime, tenant: string): Promise<{ db: boolean; user: boolean }> {
  const out = await t.runtime.database.sql(
    `SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME='${tenant}_db'; SELECT COUNT(*) FROM mysql.user WHERE User='${tenant}_user';`,
  );
  const [db, user] = out.trim().split('\n').map(Number);
  return { db: db === 1, user: user === 1 };
}

/** The config of every running php-fpm master (`shard-<n>.conf` points at the live generation). */
async function liveShardConfigs(t: TestRuntime): Promise<string[]> {
  const files = (await readdir(t.runtime.layout.phpFpmDir)).filter((f) => /^shard-\d+\.conf$/.test(f));
  return Promise.all(files.map((f) => readFile(join(t.runtime.layout.phpFpmDir, f), 'utf8').catch(() => '')));
}

/** Everything a tenant can leave behind, so "nothing left" is one assertion. */
async function leftovers(t: TestRuntime, tenant: string) {
  const paths = t.runtime.tenantPaths(tenant);
  const { db, user } = await databaseExists(t, tenant);
  const secrets = await (await import('../../src/adapters/secrets/local.js')).createLocalSecrets({ dir: join(t.dataDir, 'secrets') }).list(`dev-${tenant}-`);
  return {
    database: db,
    dbUser: user,
    unixUser: isRoot ? (await lookupUser(t.runtime.tenantUser(tenant)!)) !== undefined : false,
    files: await exists(paths.dir),
    pool: await exists(join(t.runtime.layout.phpFpmPools, `dev-${tenant}-service.json`)),
    poolInConfig: (await liveShardConfigs(t)).some((c) => c.includes(`[dev-${tenant}-service]`)),
    route: await exists(join(t.runtime.layout.edgeRoutes, `${tenant}.wpdev.localhost`)),
    secrets,
  };
}
const NOTHING = { database: false, dbUser: false, unixUser: false, files: false, pool: false, poolInConfig: false, route: false, secrets: [] };

describe('local runtime (dev)', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime('dev');
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it('provisions a tenant: steady state after a real 302 to the installer through the edge', async () => {
    const journal = await runSteps(t.runtime.provisionSteps(spec('acme', 'dev', 1, ['shop.example.test'])));
    expect(journal.at(-1)).toBe('ran await-readiness');
    const steady = await t.waitForEvent('SERVICE_STEADY_STATE', 'acme');
    expect(steady).toMatchObject({
      source: 'aws.ecs',
      'detail-type': 'ECS Service Action',
      resources: ['arn:aws:ecs:local:000000000000:service/bbws-cluster-dev/dev-acme-service'],
      detail: {
        eventName: 'SERVICE_STEADY_STATE',
        clusterArn: 'arn:aws:ecs:local:000000000000:cluster/bbws-cluster-dev',
        desiredCount: 1,
        runningCount: 1,
        tags: [
          { key: 'bbws:tenant-id', value: 'acme' },
          { key: 'bbws:environment', value: 'dev' },
        ],
      },
    });
    expect(steady.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(steady.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(t.events[0]!.detail.eventName).toBe('DEPLOYMENT_IN_PROGRESS');
    expect(t.events[0]!['detail-type']).toBe('ECS Deployment State Change');

    const res = await curl(t, 'acme.wpdev.localhost');
    expect(res.status).toBe(302);
    expect(new URL(res.location).pathname).toBe('/wp-admin/install.php');
    // The port survives into WordPress's redirect (Debian's fastcgi_params would drop it).
    const withPort = await curl(t, `acme.wpdev.localhost:${t.edgePort}`);
    expect(withPort.location).toBe(`http://acme.wpdev.localhost:${t.edgePort}/wp-admin/install.php`);
    expect((await curl(t, 'shop.example.test')).status).toBe(302);
    expect((await curl(t, 'unknown.wpdev.localhost')).status).toBe(404);
    // Implicit on-disk temporary tables (12 per not-installed WordPress request) go to tmpfs.
    expect((await t.runtime.database.sql('SELECT @@tmpdir;')).trim()).toMatch(/^\/dev\/shm\/bbws-mariadb-[0-9a-f]{16}$/);

    const paths = t.runtime.tenantPaths('acme');
    const cfg = await stat(paths.wpConfig);
    expect(cfg.mode & 0o777).toBe(0o640);
    if (isRoot) {
      const u = (await lookupUser(t.runtime.tenantUser('acme')!))!;
      // Outside Debian's system range, which holds fewer than 900 accounts.
      expect(u.uid).toBeGreaterThanOrEqual(BBWS_ID_RANGE.min);
      expect(u.gid).toBeLessThanOrEqual(BBWS_ID_RANGE.max);
      expect(cfg.gid).toBe(u.gid);
      // The gate: the edge's user owns it, the tenant's group enters it, nobody else (runtime/local/wordpress.ts).
      const web = (await lookupUser(`bw${(await readFile(t.runtime.layout.instanceIdFile, "utf8")).trim()}-web`))!;
      expect(await stat(paths.dir)).toMatchObject({ uid: web.uid, gid: u.gid, mode: 0o40550 });
      // Code directories are root's; uploads the tenant's.
      expect(await stat(paths.content)).toMatchObject({ uid: 0, mode: 0o40755 });
      expect((await stat(join(paths.content, 'uploads'))).uid).toBe(u.uid);
    }
  });

  it('provisioning again is idempotent (journaled steps may be redelivered)', async () => {
    await runSteps(t.runtime.provisionSteps(spec('acme', 'dev', 1, ['shop.example.test'])));
    expect((await curl(t, 'acme.wpdev.localhost')).status).toBe(302);
  });

  it('refuses a host name already routed to another tenant', async () => {
    await expect(runSteps(t.runtime.provisionSteps(spec('other', 'dev', 1, ['shop.example.test'])))).rejects.toThrow(/already routed/);
    expect(await leftovers(t, 'other')).toEqual(NOTHING);
    expect((await curl(t, 'shop.example.test')).status).toBe(302);
  });

  it('scales: desired count updated, then steady state; the pool capacity follows', async () => {
    const before = t.events.length;
    await runSteps(t.runtime.updateSteps(spec('acme', 'dev', 1, ['shop.example.test']), spec('acme', 'dev', 3, ['shop.example.test'])));
    const names = t.events.slice(before).map((e) => e.detail.eventName);
    expect(names).toEqual(['SERVICE_DESIRED_COUNT_UPDATED', 'SERVICE_STEADY_STATE']);
    expect(t.events.at(-1)!.detail.desiredCount).toBe(3);
    const shard = (await t.runtime.phpFpm.getPool('dev-acme-service'))!.shard;
    const conf = await readFile(join(t.runtime.layout.phpFpmDir, `shard-${shard}.conf`), 'utf8');
    expect(conf).toMatch(/\[dev-acme-service\][^[]*pm\.max_children = 12/);
    // The replacement master started niced (background) and serves at full priority once live.
    const master = t.runtime.phpFpm.masters().find((m) => m.name === `php-fpm-shard-${shard}`)!;
    const nice = (await readFile(`/proc/${master.status().pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')[16];
    expect(nice).toBe('0');
  });

  it.runIf(isRoot)("isolates tenants: A's PHP cannot read B's config, content or database", async () => {
    await runSteps(t.runtime.provisionSteps(spec('beta')));
    const a = t.runtime.tenantPaths('acme');
    const b = t.runtime.tenantPaths('beta');
    const bCreds = JSON.parse((await (await import('../../src/adapters/secrets/local.js')).createLocalSecrets({ dir: join(t.dataDir, 'secrets') }).get('dev-beta-db-credentials'))!);
    const probe = `<?php
header('Content-Type: application/json');
$r = [];
$r['own_config'] = @file_get_contents(${JSON.stringify(a.wpConfig)}) !== false;
$r['b_config'] = @file_get_contents(${JSON.stringify(b.wpConfig)}) !== false;
$r['b_content'] = @scandir(${JSON.stringify(b.content)}) !== false;
$r['b_include'] = (function () { try { return (@include ${JSON.stringify(b.wpConfig)}) !== false; } catch (Throwable $e) { return false; } })();
mysqli_report(MYSQLI_REPORT_OFF);
$m = @mysqli_connect('${bCreds.host}', DB_USER, DB_PASSWORD, '', ${bCreds.port});
$r['own_db'] = $m && @mysqli_select_db($m, DB_NAME);
$r['b_db'] = $m && @mysqli_select_db($m, 'beta_db');
$r['b_db_query'] = $m && @mysqli_query($m, 'SELECT COUNT(*) FROM beta_db.wp_options') !== false;
echo json_encode($r);
`;
    // wp-config defines DB_USER: load it the way WordPress does, without running WordPress.
    const file = join(a.content, 'probe.php');
    await writeFile(file, probe.replace('<?php', `<?php\ndefine('ABSPATH_SKIP', 1);\n$cfg = file_get_contents(${JSON.stringify(a.wpConfig)});\npreg_match_all("/define\\\\('(DB_[A-Z]+)', '([^']*)'\\\\);/", $cfg, $mm, PREG_SET_ORDER);\nforeach ($mm as $d) define($d[1], $d[2]);`));
    // As a file the tenant's PHP writes lands in content/ (setgid web group, umask 027): nginx
    // opens scripts to check them for symlinks (disable_symlinks), so it must be able to read them.
    const u = (await t.runtime.tenantOwner('acme'))!;
    await chown(file, u.uid, u.webGid);
    await chmod(file, 0o640);
    const res = await curl(t, 'acme.wpdev.localhost', '/wp-content/probe.php');
    expect(res.status, res.body).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ own_config: true, b_config: false, b_content: false, b_include: false, own_db: true, b_db: false, b_db_query: false });
  });

  it('soft deprovision removes route and capacity, keeps data; provisioning again re-enables', async () => {
    const before = t.events.length;
    await runSteps(t.runtime.deprovisionSteps(spec('acme', 'dev', 3, ['shop.example.test']), 'soft'));
    expect(t.events.slice(before).map((e) => e.detail.eventName)).toEqual(['SERVICE_DELETED']);
    // Suspended, not gone: the edge says so (503) for each of its names (docs/sites.md).
    expect((await curl(t, 'acme.wpdev.localhost')).status).toBe(503);
    expect((await curl(t, 'shop.example.test')).status).toBe(503);
    const left = await leftovers(t, 'acme');
    expect(left).toMatchObject({ database: true, dbUser: true, files: true, pool: false, poolInConfig: false, route: false });
    expect(left.secrets).toContain('dev-acme-db-credentials');
    await runSteps(t.runtime.updateSteps(spec('acme', 'dev', 0, ['shop.example.test']), spec('acme', 'dev', 1, ['shop.example.test'])));
    expect((await curl(t, 'acme.wpdev.localhost')).status).toBe(302);
  });

  it('hard deprovision removes everything, database and user included', async () => {
    await runSteps(t.runtime.deprovisionSteps(spec('acme', 'dev', 1, ['shop.example.test']), 'hard'));
    expect(await leftovers(t, 'acme')).toEqual(NOTHING);
    expect((await curl(t, 'shop.example.test')).status).toBe(404);
    await t.waitForEvent('SERVICE_DELETED', 'acme');
  });

  it('undo after php-fpm rejects the config leaves nothing behind', async () => {
    t.runtime.faults.rejectNextPhpFpmConfig = true;
    const before = t.events.length;
    const err = (await runSteps(t.runtime.provisionSteps(spec('gamma'))).then(() => new Error('did not fail'), (e) => e)) as Error & { journal: string[] };
    expect(err).toBeInstanceOf(Error);
    expect(err.journal).toContain('failed start-service');
    expect(t.events.slice(before).map((e) => e.detail.eventName)).toEqual(['DEPLOYMENT_IN_PROGRESS', 'DEPLOYMENT_FAILED']);
    expect(t.events.at(-1)!.detail.reason).toMatch(/start-service: .*php-fpm/);
    expect(await leftovers(t, 'gamma')).toEqual(NOTHING);
    // The neighbour kept serving.
    expect((await curl(t, 'beta.wpdev.localhost')).status).toBe(302);
  });

  it('undo after MariaDB stops answering mid-way leaves nothing behind; a killed MariaDB comes back', async () => {
    // MariaDB is made unreachable (its socket moved away) exactly while create-database runs: a
    // SIGKILL instead raced the supervisor's 250 ms restart on a loaded machine.
    const socket = join(t.dataDir, 'runtime', 'mariadb', 'run', 'mysqld.sock');
    const steps = t.runtime.provisionSteps(spec('delta'));
    const injected = steps.map((s) =>
      s.name === 'create-database'
        ? {
            ...s,
            run: async () => {
              await rename(socket, `${socket}.away`);
              try {
                await s.run();
              } finally {
                await rename(`${socket}.away`, socket);
              }
            },
          }
        : s,
    );
    const err = (await runSteps(injected).then(() => new Error('did not fail'), (e) => e)) as Error & { journal: string[] };
    expect(err.journal).toContain('failed create-database');
    expect(await leftovers(t, 'delta')).toEqual(NOTHING);

    const mariadb = t.runtime.children().find((c) => c.name === 'mariadb')!;
    process.kill(mariadb.status().pid!, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 50));
    await mariadb.whenRunning();
    const health = await t.runtime.health();
    expect(health.find((h) => h.name === 'mariadb')).toMatchObject({ status: 'ok', restarts: 1 });
  });

  it('a SIGKILLed php-fpm master and nginx come back and show in health()', async () => {
    // Each new tenant starts in its own php-fpm master (php-fpm.ts): kill the one serving beta.
    const shard = (await t.runtime.phpFpm.getPool('dev-beta-service'))!.shard;
    for (const name of [`php-fpm-shard-${shard}`, 'nginx']) {
      const child = t.runtime.children().find((c) => c.name === name)!;
      const pid = child.status().pid!;
      process.kill(pid, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 50));
      await child.whenRunning();
      expect(child.status().pid).not.toBe(pid);
      const h = (await t.runtime.health()).find((c) => c.name === name)!;
      expect(h.status).toBe('ok');
      expect(h.restarts).toBeGreaterThanOrEqual(1);
      expect((await curl(t, 'beta.wpdev.localhost')).status).toBe(302);
    }
  });

  it('after a bbws restart the running tenants are served again and health-checked', async () => {
    const pools = (await t.runtime.phpFpm.listPools()).map((p) => p.tenantId).sort();
    expect(pools).toContain('beta');
    // What a kill during a php-fpm consolidation leaves: a warm-up route (and a half-made link).
    const { edgeRoutes, edgeSockets } = t.runtime.layout;
    const warm = 'warm-0123456789abcdef.bbws.invalid';
    await symlink(t.runtime.tenantPaths('beta').www, join(edgeRoutes, warm));
    await symlink(t.runtime.tenantSocket('beta'), join(edgeSockets, `${warm}.sock`));
    await symlink(t.runtime.tenantPaths('beta').www, join(edgeRoutes, 'beta.wpdev.localhost.tmp-0a1b2c3d'));
    // And what a kill during a backup verify leaves: its scratch route (adapters/backup/scratch-serve.ts).
    const verify = 'verify-abcdefghijkl-abcdefghij.bbws.invalid';
    await symlink(join(t.runtime.tenantPaths('beta').dir, 'verify', 'abcdefghijkl', 'www'), join(edgeRoutes, verify));
    await symlink(t.runtime.tenantSocket('beta'), join(edgeSockets, `${verify}.sock`));
    await t.restart();
    expect((await readdir(edgeRoutes)).filter((n) => n.startsWith('warm-') || n.startsWith('verify-') || n.includes('.tmp-'))).toEqual([]);
    expect((await readdir(edgeSockets)).filter((n) => n.startsWith('warm-') || n.startsWith('verify-'))).toEqual([]);
    expect((await t.runtime.phpFpm.listPools()).map((p) => p.tenantId).sort()).toEqual(pools);
    expect((await curl(t, 'beta.wpdev.localhost')).status).toBe(302);
    const tenants = () => t.runtime.health().then((h) => h.find((c) => c.name === 'tenants')!);
    expect((await tenants()).detail).toBe(`${pools.length} watched`);
    await t.runtime.checkTenantsNow();
    expect(await tenants()).toMatchObject({ status: 'ok' });
  });
});

describe('local runtime (sit: basic auth)', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime('sit');
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it('answers 401 without credentials and 302 with them; readiness used them', async () => {
    await runSteps(t.runtime.provisionSteps(spec('acme', 'sit')));
    await t.waitForEvent('SERVICE_STEADY_STATE', 'acme');
    expect((await curl(t, 'acme.wpsit.localhost')).status).toBe(401);
    expect((await curl(t, 'acme.wpsit.localhost', '/', 'bbws-sit:wrong')).status).toBe(401);
    const auth = t.runtime.basicAuth!;
    expect(auth.user).toBe('bbws-sit');
    expect((await curl(t, 'acme.wpsit.localhost', '/', `${auth.user}:${auth.password}`)).status).toBe(302);
  });

  it('reports SERVICE_TASK_START_IMPAIRED after 3 failed health checks, steady again after 2 good ones', async () => {
    // Take the tenant's PHP away from the edge (as if its task died): nginx answers 502.
    const link = join(t.runtime.layout.edgeSockets, 'acme.wpsit.localhost.sock');
    await rename(link, `${link}.away`);
    for (let i = 0; i < 3; i++) await t.runtime.checkTenantsNow();
    const impaired = await t.waitForEvent('SERVICE_TASK_START_IMPAIRED', 'acme', 1000);
    expect(impaired.detail.reason).toMatch(/HTTP 502/);
    expect((await t.runtime.health()).find((h) => h.name === 'tenants')!.status).toBe('degraded');
    await rename(`${link}.away`, link);
    const since = t.events.length;
    for (let i = 0; i < 2; i++) await t.runtime.checkTenantsNow();
    await t.waitForEvent('SERVICE_STEADY_STATE', 'acme', 1000, since);
  });
});
