/**
 * The content disk quota of each tenant (domain/tenant-limits.ts `diskQuotaMb`). The host has no
 * file system quotas to lean on (one file system, shared), so a pass measures every tenant's
 * directory with `du` (coreutils: allocated bytes, symlinks not followed, one file system) and,
 * over the quota, writes a flag file the tenant's PHP prepend checks on every request
 * (render-wp-config.ts): uploads and large request bodies then get 507 with the reason, small ones
 * (logging in, deleting media) still work, so the owner can get back under it. Under the quota again,
 * the flag goes. Transitions are logged (`TENANT_OVER_QUOTA`, `TENANT_UNDER_QUOTA`).
 *
 * The quota of a tenant is a file beside its tree (`disk-quota.json`, root's), written with its
 * pool (tenant-steps.ts): the pass needs no state database and survives a restart.
 */
import { readdir, readFile, rm, chown, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../../../domain/errors.js';
import type { Logger } from '../../../ports/logger.js';
import { writeFileAtomic } from '../../files/atomic-write.js';
import { safePath } from './escape.js';
import { run } from './exec.js';
import { SCRATCH_COPIES_DIR, tenantPaths, type Layout, type TenantPaths } from './layout.js';
import type { Metrics } from '../../../ports/metrics.js';

const MIB = 1024 * 1024;

export const diskQuotaFile = (paths: TenantPaths) => join(paths.dir, 'disk-quota.json');
/** Present while the tenant is over its quota; the prepend only tests that it exists. */
export const overQuotaFlagFile = (paths: TenantPaths) => join(paths.dir, 'over-quota.json');

/** Records the tenant's quota (root's, 0600: the pass reads it, nobody else). */
export async function writeDiskQuota(paths: TenantPaths, quotaMb: number): Promise<void> {
  await writeFileAtomic(diskQuotaFile(paths), `${JSON.stringify({ quotaMb })}\n`);
}

/**
 * Bytes allocated under `dir` (`du -s -B1 -x -P`: what the disk holds, links not followed), leaving
 * out the entries of `dir` named in `skip` (by exact name: du's --exclude is a glob that a tenant's
 * own file could match).
 */
export async function usedBytes(dir: string, skip: readonly string[] = []): Promise<number> {
  const parts = skip.length ? (await readdir(safePath(dir))).filter((e) => !skip.includes(e)).map((e) => join(dir, e)) : [safePath(dir)];
  if (parts.length === 0) return 0;
  // -c: one total over all parts (a file linked twice counts once, as with one argument).
  const { stdout } = await run('du', ['-s', '-c', '-B1', '-x', '-P', '--', ...parts], { timeoutMs: 120_000 });
  const n = Number(stdout.trim().split('\n').pop()!.split(/\s+/)[0]);
  if (!Number.isFinite(n)) throw new Error(`du printed no size for ${dir}: ${stdout.slice(0, 80)}`);
  return n;
}

export interface QuotaState {
  tenantId: string;
  usedBytes: number;
  quotaBytes: number;
  over: boolean;
}

export interface DiskQuotaOptions {
  layout: Layout;
  logger: Logger;
  /** The tenant's group (root only): the flag is 0640 root:<tenant> so its PHP can test it. */
  groupOf: (tenantId: string) => Promise<number | null>;
  /** Seconds between two passes (default 120). */
  intervalSeconds?: number;
  /** Gets `bbws_tenants_over_disk_quota` after each pass (alarm bbws-wp-tenant-over-disk-quota). */
  metrics?: Metrics;
}

export function startDiskQuotas(o: DiskQuotaOptions) {
  let running: Promise<QuotaState[]> | null = null;

  async function checkTenant(tenantId: string): Promise<QuotaState | null> {
    const paths = tenantPaths(o.layout, tenantId);
    const raw = await readFile(diskQuotaFile(paths), 'utf8').catch(() => null);
    if (raw === null) return null;
    const quotaBytes = Number((JSON.parse(raw) as { quotaMb: number }).quotaMb) * MIB;
    // A backup verify's copy of the tenant's files (layout.ts SCRATCH_COPIES_DIR) is the platform's, not the tenant's.
    const used = await usedBytes(paths.dir, [SCRATCH_COPIES_DIR]);
    const over = used > quotaBytes;
    const flag = overQuotaFlagFile(paths);
    const flagged = await stat(flag).then(() => true, () => false);
    const facts = { tenantId, usedMb: Math.round(used / MIB), quotaMb: quotaBytes / MIB };
    if (over && !flagged) {
      await writeFileAtomic(flag, `${JSON.stringify({ usedBytes: used, quotaBytes, since: new Date().toISOString() })}\n`, 0o640);
      const gid = await o.groupOf(tenantId);
      if (gid !== null) await chown(flag, 0, gid);
      o.logger.warn({ ...facts, action: 'TENANT_OVER_QUOTA', status: 'LIMITED' }, `tenant ${tenantId} is over its disk quota (${facts.usedMb} of ${facts.quotaMb} MiB): uploads get 507 until files are removed or the quota is raised`);
    } else if (!over && flagged) {
      await rm(flag, { force: true });
      o.logger.info({ ...facts, action: 'TENANT_UNDER_QUOTA', status: 'OK' }, `tenant ${tenantId} is under its disk quota again (${facts.usedMb} of ${facts.quotaMb} MiB)`);
    }
    return { tenantId, usedBytes: used, quotaBytes, over };
  }

  async function pass(): Promise<QuotaState[]> {
    const out: QuotaState[] = [];
    for (const tenantId of await readdir(o.layout.tenantsDir).catch(() => [] as string[])) {
      try {
        const state = await checkTenant(tenantId);
        if (state) out.push(state);
      } catch (err) {
        o.logger.warn({ tenantId, action: 'DISK_QUOTA', status: 'ERROR', err: errorMessage(err) }, `disk quota of ${tenantId} not measured; retried on the next pass`);
      }
    }
    o.metrics?.setGauge('bbws_tenants_over_disk_quota', out.filter((q) => q.over).length);
    return out;
  }

  /** One pass now (or the one running); resolves with every tenant's usage. */
  const check = (): Promise<QuotaState[]> => (running ??= pass().finally(() => (running = null)));
  const timer = setInterval(() => void check(), (o.intervalSeconds ?? 120) * 1000);
  timer.unref();
  return {
    check,
    async stop() {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}

export type DiskQuotas = ReturnType<typeof startDiskQuotas>;
