/**
 * The checks of `bbws doctor` that read the host and the data dir directly (they work with the
 * platform stopped): the platform process, file modes and owners, the runtime tree, the state
 * database's integrity, the audit chain, disk, inodes and memory.
 */
import { chmodSync, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { verifyAuditLogFiles } from '../../adapters/audit/jsonl-audit-log.js';
import { isRunning } from '../../adapters/os/processes.js';
import { layoutAt, runtimeRootOf, runtimeTreeModes } from '../../adapters/runtime/local/layout.js';
import { findExposedEntries, securePlatformDataDir } from '../../main/data-dir.js';
import { DISK_LOW_FREE_BYTES, DISK_LOW_FREE_PERCENT } from '../../main/component-health.js';
import { platformFile } from '../../main/platform-file.js';
import { pass, problem, thresholdStatus, type DoctorCheck } from './doctor-check.js';

export interface PlatformRecord {
  apiUrl: string;
  pid: number;
  env: string;
  edgePort: number;
}

const octal = (mode: number) => `0${mode.toString(8)}`;
const MiB = 1024 ** 2;

/** platform.json and its process: the API-based checks need a running platform. */
export function checkPlatformProcess(dataDir: string): { check: DoctorCheck; platform: PlatformRecord | null } {
  const file = platformFile(dataDir);
  if (!existsSync(file)) {
    return { platform: null, check: problem('platform', 'fail', `no running platform for ${dataDir} (no platform.json)`, `start it: bbws up --data-dir ${dataDir}`) };
  }
  const record = JSON.parse(readFileSync(file, 'utf8')) as PlatformRecord;
  if (!isRunning(record.pid)) {
    return {
      platform: null,
      check: problem('platform', 'fail', `platform.json names pid ${record.pid}, which is not running (bbws was killed)`, `start it again: bbws up --data-dir ${dataDir} (--fix removes the stale platform.json)`, () => {
        rmSync(file, { force: true });
        return `removed the stale ${file}`;
      }),
    };
  }
  return { platform: record, check: pass('platform', `bbws pid ${record.pid} serves ${record.apiUrl} (${record.env})`) };
}

export function checkDataDirModes(dataDir: string): DoctorCheck {
  const exposed = findExposedEntries(dataDir);
  if (exposed.length === 0) return pass('data-dir-modes', 'state, logs, secrets, keys and audit log are private (0600/0700)');
  const list = exposed.slice(0, 5).map((e) => `${e.path} ${octal(e.mode)}`).join(', ');
  return problem('data-dir-modes', 'fail', `${exposed.length} entries readable or writable by others: ${list}${exposed.length > 5 ? ', …' : ''}`, 'bbws doctor --fix (or bbws up) makes them 0600/0700; then find out who changed them', () => {
    securePlatformDataDir(dataDir);
    return `made ${exposed.length} entries private`;
  });
}

/** Platform files owned by another user than the data dir's owner (a tenant user, after a copy). */
export function checkDataDirOwner(dataDir: string): DoctorCheck {
  const owner = statSync(dataDir).uid;
  const wrong = ['state.db', 'jwt.key', 'secrets', 'logs', 'audit', 'platform.json'].map((n) => join(dataDir, n)).filter((p) => existsSync(p) && statSync(p).uid !== owner);
  if (wrong.length === 0) return pass('data-dir-owner', `platform files belong to uid ${owner}, the data dir's owner`);
  return problem('data-dir-owner', 'fail', `not owned by uid ${owner}: ${wrong.join(', ')}`, `chown -R ${owner} ${wrong.join(' ')}, then find out how they changed hands`);
}

/** The runtime tree's directories have no more mode bits than layout.ts gives them, and are root's when shared. */
export function checkRuntimeTree(dataDir: string): DoctorCheck {
  const root = runtimeRootOf(dataDir);
  if (!existsSync(root)) return pass('runtime-tree', `no runtime tree yet (${root}): created by the first bbws up`);
  const layout = layoutAt(root);
  const shared = (statSync(root).mode & 0o011) !== 0;
  const bad: { dir: string; mode: number; want: number; owner: number }[] = [];
  for (const [dir, want] of runtimeTreeModes(layout, shared)) {
    if (!existsSync(dir)) continue;
    const st = statSync(dir);
    const mode = st.mode & 0o7777;
    if ((mode & ~want) !== 0 || (shared && st.uid !== 0)) bad.push({ dir, mode, want, owner: st.uid });
  }
  if (bad.length === 0) return pass('runtime-tree', `${root}: modes and owners as bbws sets them`);
  const list = bad.map((b) => `${b.dir} ${octal(b.mode)} uid ${b.owner} (want ${octal(b.want)}${shared ? ', root' : ''})`).join('; ');
  return problem('runtime-tree', 'fail', list, 'bbws doctor --fix removes the extra mode bits; a wrong owner needs chown root (and a look at who changed it)', () => {
    for (const b of bad) chmodSync(b.dir, b.mode & b.want);
    return `removed extra mode bits on ${bad.length} directories`;
  });
}

export function checkStateDatabase(dataDir: string): DoctorCheck {
  const file = join(dataDir, 'state.db');
  if (!existsSync(file)) return problem('state-db', 'warn', `${file} does not exist yet`, `start the platform once: bbws up --data-dir ${dataDir}`);
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    const rows = db.pragma('quick_check') as { quick_check: string }[];
    const ok = rows.length === 1 && rows[0].quick_check === 'ok';
    if (ok) return pass('state-db', `${file}: quick_check ok`);
    return problem('state-db', 'fail', `${file}: ${rows.slice(0, 3).map((r) => r.quick_check).join('; ')}`, 'stop bbws, keep a copy of the data dir, restore state.db from the latest backup');
  } catch (err) {
    return problem('state-db', 'fail', `${file}: ${(err as Error).message}`, 'stop bbws, keep a copy of the data dir, restore state.db from the latest backup');
  } finally {
    db?.close();
  }
}

export async function checkAuditChain(dataDir: string, repair: (dataDir: string) => void): Promise<DoctorCheck> {
  const result = await verifyAuditLogFiles(join(dataDir, 'audit'));
  if (result.ok) return pass('audit-chain', `${result.entries} entries, chain intact`);
  const tampered = result.problems.filter((p) => p.kind !== 'torn-tail');
  if (tampered.length) return problem('audit-chain', 'fail', tampered.slice(0, 3).map((p) => p.message).join('; '), 'security incident: keep a copy of <data-dir>/audit, run bbws audit verify for every problem, compare with backups');
  return problem('audit-chain', 'warn', result.problems[0].message, 'bbws doctor --fix (or the next audited action) moves the torn line aside and records the repair', () => {
    repair(dataDir);
    return 'moved the torn line aside (AUDIT_TAIL_REPAIRED entry)';
  });
}

/** Free space and inodes on the file systems of the data dir and the runtime tree. */
export async function checkStorage(dataDir: string): Promise<DoctorCheck[]> {
  const paths = [...new Set([dataDir, runtimeRootOf(dataDir)].filter((p) => existsSync(p)))];
  const out: DoctorCheck[] = [];
  for (const path of paths) {
    const st = await statfs(path);
    const free = st.bavail * st.bsize;
    const percent = st.blocks > 0 ? (100 * st.bavail) / st.blocks : 0;
    const status = [thresholdStatus(free, 2 * DISK_LOW_FREE_BYTES, DISK_LOW_FREE_BYTES), thresholdStatus(percent, 2 * DISK_LOW_FREE_PERCENT, DISK_LOW_FREE_PERCENT)];
    const worst = status.includes('fail') ? 'fail' : status.includes('warn') ? 'warn' : 'pass';
    const detail = `${path}: ${Math.floor(free / MiB)} MiB free (${percent.toFixed(1)} %)`;
    out.push(worst === 'pass' ? pass(`disk ${path}`, detail) : problem(`disk ${path}`, worst, `${detail}; below ${worst === 'fail' ? '' : 'twice '}${DISK_LOW_FREE_BYTES / MiB} MiB or ${DISK_LOW_FREE_PERCENT} %`, 'free space there (old logs, backups, deleted tenants\' leftovers: bbws cleanup once it exists); requests answered 507 changed nothing'));
    const inodes = st.files > 0 ? (100 * st.ffree) / st.files : 100;
    const inodeStatus = thresholdStatus(inodes, 10, 5);
    const inodeDetail = `${path}: ${st.ffree} inodes free (${inodes.toFixed(1)} %)`;
    out.push(inodeStatus === 'pass' ? pass(`inodes ${path}`, inodeDetail) : problem(`inodes ${path}`, inodeStatus, `${inodeDetail}; below ${inodeStatus === 'fail' ? 5 : 10} %`, 'remove many small files there (session files, caches, old uploads)'));
  }
  return out;
}

export function checkMemory(meminfo = '/proc/meminfo'): DoctorCheck {
  const text = readFileSync(meminfo, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN);
  const total = kb('MemTotal');
  const available = kb('MemAvailable');
  const percent = (100 * available) / total;
  const status = thresholdStatus(percent, 10, 5);
  const detail = `${Math.floor(available / 1024)} MiB of ${Math.floor(total / 1024)} MiB available (${percent.toFixed(1)} %)`;
  return status === 'pass' ? pass('memory', detail) : problem('memory', status, `${detail}; below ${status === 'fail' ? 5 : 10} %`, 'find the largest processes (ps -eo rss,args --sort=-rss | head); lower tenants\' php-fpm pm.max_children or move tenants to another host');
}
