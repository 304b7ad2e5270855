/**
 * The database half of an in-place restore: the scratch copy's tables swapped in for the live
 * ones of the scope with **one** `RENAME TABLE` (atomic in MariaDB, also across databases), then
 * the dump's triggers, views and routines created anew in the live database by the target
 * tenant's own database user (dump-objects.ts says why they cannot be renamed along).
 *
 * Before the rename, root drops what would block it: the triggers and views of the scope, in the
 * scratch copy (its tables are what moves) and in the live database (their tables move to trash,
 * and they are replaced by the backup's). A whole tenant's restore also replaces its stored
 * routines, when the backup holds them (backups made before routines were dumped do not: the
 * live ones stay). Names are read back from information_schema as hex, so any name a plugin gave
 * is handled exactly (sqlQuotedIdentifier).
 */
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { names } from '../../domain/naming.js';
import type { Secrets } from '../../ports/secrets.js';
import { mysqlOptionValue, safeDbHost, safePort, sqlIdentifier, sqlQuotedIdentifier, sqlString } from '../runtime/local/escape.js';
import type { LocalRuntime } from '../runtime/local/local-runtime.js';
import type { DbCredentials } from '../runtime/local/tenant-steps.js';
import { runSqlFile } from './sql-dump.js';

interface ScopeObjects {
  tables: string[];
  views: string[];
  triggers: string[];
  functions: string[];
  procedures: string[];
}

/** The tables, views and triggers of the scope (names starting with `prefix`), and the database's routines. */
export async function scopeObjects(runtime: LocalRuntime, database: string, prefix: string | null): Promise<ScopeObjects> {
  const db = sqlString(database);
  const starts = (col: string) => (prefix ? ` AND LEFT(${col}, ${[...prefix].length}) = ${sqlString(prefix)}` : '');
  const out = await runtime.database.sql(
    [
      `SELECT IF(TABLE_TYPE = 'VIEW', 'view', 'table'), HEX(TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${db}${starts('TABLE_NAME')}`,
      `UNION ALL SELECT 'trigger', HEX(TRIGGER_NAME) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ${db}${starts('EVENT_OBJECT_TABLE')}`,
      `UNION ALL SELECT LOWER(ROUTINE_TYPE), HEX(ROUTINE_NAME) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ${db};`,
    ].join(' '),
  );
  const found: ScopeObjects = { tables: [], views: [], triggers: [], functions: [], procedures: [] };
  const lists: Record<string, string[]> = { table: found.tables, view: found.views, trigger: found.triggers, function: found.functions, procedure: found.procedures };
  for (const line of out.split('\n')) {
    const [kind, hex] = line.trim().split('\t');
    if (kind && hex !== undefined && lists[kind]) lists[kind].push(Buffer.from(hex, 'hex').toString('utf8'));
  }
  return found;
}

/**
 * One root session: drops the blocking triggers and views (scratch, then live; a whole tenant's
 * routines too when `replaceRoutines`), then the one RENAME TABLE: live tables of the scope to
 * `trash`, scratch tables in. The caller drops the trash and then creates the objects.
 */
export async function swapTables(runtime: LocalRuntime, o: { live: string; scratch: string | null; trash: string; prefix: string | null; replaceRoutines: boolean }): Promise<void> {
  const q = (db: string, name: string) => `${sqlIdentifier(db)}.${sqlQuotedIdentifier(name)}`;
  const [out, incoming] = await Promise.all([scopeObjects(runtime, o.live, o.prefix), o.scratch ? scopeObjects(runtime, o.scratch, null) : Promise.resolve(null)]);
  if (o.prefix && incoming && [...incoming.tables, ...incoming.views].some((t) => !t.startsWith(o.prefix!))) throw new Error(`the backup holds tables outside the site's prefix ${o.prefix}`);
  const drops = [
    ...(incoming ? [...incoming.triggers.map((t) => `DROP TRIGGER ${q(o.scratch!, t)};`), ...(incoming.views.length ? [`DROP VIEW ${incoming.views.map((v) => q(o.scratch!, v)).join(', ')};`] : [])] : []),
    ...out.triggers.map((t) => `DROP TRIGGER ${q(o.live, t)};`),
    ...(out.views.length ? [`DROP VIEW ${out.views.map((v) => q(o.live, v)).join(', ')};`] : []),
    ...(o.replaceRoutines ? [...out.functions.map((r) => `DROP FUNCTION ${q(o.live, r)};`), ...out.procedures.map((r) => `DROP PROCEDURE ${q(o.live, r)};`)] : []),
  ];
  const renames = [...out.tables.map((t) => `${q(o.live, t)} TO ${q(o.trash, t)}`), ...(incoming?.tables ?? []).map((t) => `${q(o.scratch!, t)} TO ${q(o.live, t)}`)];
  // One client session (the client stops at the first error).
  await runtime.database.sql([`CREATE DATABASE IF NOT EXISTS ${sqlIdentifier(o.trash)};`, ...drops, ...(renames.length ? [`RENAME TABLE ${renames.join(', ')};`] : [])].join('\n'));
}

/**
 * Creates the dump's triggers, views and routines in the tenant's database as the tenant's own
 * database user (a client session with its credentials from the secret store, in a 0600 option
 * file inside the root-only scratch dir: never on argv).
 */
export async function createObjectsAsTenant(runtime: LocalRuntime, secrets: Secrets, tenantId: string, script: string, workDir: string): Promise<void> {
  const raw = await secrets.get(names.dbCredentialsSecret(runtime.config.env, tenantId));
  if (!raw) throw new Error(`the database credentials of ${tenantId} are missing: is the tenant provisioned?`);
  const creds = JSON.parse(raw) as DbCredentials;
  const options = join(workDir, 'tenant-client.cnf');
  await writeFile(options, `[client]\nhost=${safeDbHost(creds.host)}\nport=${safePort(creds.port)}\nuser=${mysqlOptionValue(creds.username)}\npassword=${mysqlOptionValue(creds.password)}\n`, { mode: 0o600 });
  await runSqlFile([`--defaults-file=${options}`, '--protocol=TCP', '--default-character-set=utf8mb4', '--', sqlIdentifier(creds.dbname).slice(1, -1)], script);
}
