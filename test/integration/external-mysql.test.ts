/**
 * The local runtime on an external MySQL-compatible server (`--mysql-url`, the seeds' shared RDS):
 * bbws starts no MariaDB of its own, creates each tenant's database and user on that server with
 * the URL's administrator, and a hard deprovision removes them there. The "external" server is a
 * second MariaDB started for the test in its own temp dir, with a password administrator reached
 * over TCP, as RDS would be.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLayout } from '../../src/adapters/runtime/local/layout.js';
import { freePort, startEmbeddedMariaDb, type DatabaseServer } from '../../src/adapters/runtime/local/mariadb.js';
import { runSteps, silentLogger, spec, startTestRuntime, type TestRuntime } from '../support/local-runtime-harness.js';

const exec = promisify(execFile);
const isRoot = process.getuid?.() === 0;
// Characters that must survive URL decoding and the 0600 option file.
const ADMIN_PASSWORD = 'p@ss:w/rd#"1';

describe('local runtime on an external MySQL (--mysql-url)', () => {
  let externalDir: string;
  let external: DatabaseServer;
  let t: TestRuntime;

  const count = async (sql: string) => Number((await external.sql(sql)).trim());

  beforeAll(async () => {
    externalDir = await mkdtemp(join(tmpdir(), 'bbws-extdb-'));
    await chmod(externalDir, 0o755); // mariadbd runs as mysql and must reach its datadir
    external = await startEmbeddedMariaDb({
      layout: createLayout(externalDir),
      logger: silentLogger(),
      port: await freePort(),
      maxConnections: 100,
      osUser: isRoot ? 'mysql' : userInfo().username,
      runAsRoot: isRoot,
    });
    const pw = ADMIN_PASSWORD.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
    await external.sql(
      `CREATE USER 'rdsadmin'@'127.0.0.1' IDENTIFIED BY '${pw}'; GRANT ALL PRIVILEGES ON *.* TO 'rdsadmin'@'127.0.0.1' WITH GRANT OPTION;`,
    );
    const { port } = external.tenantHost;
    t = await startTestRuntime('dev', {}, { mysqlUrl: `mysql://rdsadmin:${encodeURIComponent(ADMIN_PASSWORD)}@127.0.0.1:${port}` });
  }, 120_000);

  afterAll(async () => {
    await t?.cleanup();
    await external?.stop().catch(() => undefined);
    if (externalDir) await rm(externalDir, { recursive: true, force: true });
  });

  it('starts no MariaDB of its own and keeps the admin credentials in a 0600 file, not in argv', async () => {
    expect(t.runtime.database.supervised).toBeNull();
    expect(t.runtime.children().some((c) => c.name.includes('mariadb'))).toBe(false);
    const optionFile = join(t.runtime.layout.mariadbDir, 'external-admin.cnf');
    expect((await stat(optionFile)).mode & 0o777).toBe(0o600);
    expect(await readFile(optionFile, 'utf8')).toMatch(/^user=\W?rdsadmin\W?$/m);
    const { stdout } = await exec('ps', ['-eo', 'args']);
    expect(stdout).not.toContain(ADMIN_PASSWORD);
  });

  it('provisions a tenant whose database and user live on the external server', async () => {
    const journal = await runSteps(t.runtime.provisionSteps(spec('extacme', 'dev', 1)));
    expect(journal.at(-1)).toBe('ran await-readiness');
    await t.waitForEvent('SERVICE_STEADY_STATE', 'extacme');
    expect(await count("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME='extacme_db';")).toBe(1);
    expect(await count("SELECT COUNT(*) FROM mysql.user WHERE User='extacme_user';")).toBe(1);
    // Grants on its own database only.
    const grants = await external.sql("SHOW GRANTS FOR 'extacme_user'@'%';");
    expect(grants).toContain("GRANT ALL PRIVILEGES ON `extacme\\\\_db`.*");
    expect(grants).not.toMatch(/ON \*\.\*.*(SELECT|ALL)/);
    // WordPress reaches the external server: the installer's redirect needs a working DB connection.
    const { stdout } = await exec('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', '-H', 'Host: extacme.wpdev.localhost', `http://127.0.0.1:${t.edgePort}/`]);
    const [status, location] = stdout.split(' ');
    expect(status).toBe('302');
    expect(new URL(location!).pathname).toBe('/wp-admin/install.php');
    const wpConfig = await readFile(t.runtime.tenantPaths('extacme').wpConfig, 'utf8');
    expect(wpConfig).toContain(`127.0.0.1:${external.tenantHost.port}`);
  });

  it('hard deprovision drops the database and user on the external server', async () => {
    await runSteps(t.runtime.deprovisionSteps(spec('extacme', 'dev', 1), 'hard'));
    expect(await count("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME='extacme_db';")).toBe(0);
    expect(await count("SELECT COUNT(*) FROM mysql.user WHERE User='extacme_user';")).toBe(0);
  });
});
