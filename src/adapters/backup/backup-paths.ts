/**
 * Where backup work happens on this host, and the names of scratch databases. Everything here is
 * the platform's own: under the data dir (0700, root), never in the runtime tree tenants reach.
 *
 * - `<dataDir>/backups/`         the default restic repository (BBWS_BACKUP_REPOSITORY overrides)
 * - `<dataDir>/backup-catalog/`  one record per backup (file-catalog.ts)
 * - `<dataDir>/backup-work/<key>` the dump and meta.json being snapshotted; one stable path per
 *   tenant/site, so restic finds the previous snapshot of the same paths (incremental reads)
 * - `<dataDir>/backup-scratch/scratch-<owner>-<id>` restores being verified or swapped in
 * - `<dataDir>/backup-digests/<key>.json` the file hashes of the scope's last backup (file-digest-cache.ts)
 * - databases `bbws_scratch_<id>` (a restore being checked) and `bbws_trash_<id>` (tables swapped out)
 */
import { join } from 'node:path';
import { safeTenantId } from '../runtime/local/escape.js';
import { isValidSiteId } from '../../domain/site.js';

export const repositoryDir = (dataDir: string) => join(dataDir, 'backups');
export const catalogDir = (dataDir: string) => join(dataDir, 'backup-catalog');
export const workRoot = (dataDir: string) => join(dataDir, 'backup-work');
export const scratchRoot = (dataDir: string) => join(dataDir, 'backup-scratch');
export const digestCacheFile = (dataDir: string, key: string) => join(dataDir, 'backup-digests', `${key}.json`);

/** `t-<tenant>`, `s-<tenant>-<site>` or `platform`: the stable work dir of a backup's scope. */
export function scopeKey(tenantId: string | null, siteId: string | null): string {
  if (tenantId === null) return 'platform';
  safeTenantId(tenantId);
  if (siteId === null) return `t-${tenantId}`;
  if (!isValidSiteId(siteId)) throw new Error(`invalid site id ${JSON.stringify(siteId).slice(0, 40)}`);
  return `s-${tenantId}-${siteId}`;
}

/** Scratch database names: `bbws_scratch_<12 lower-case letters/digits>` (see {@link SCRATCH_DB}). */
export const scratchDbName = (id: string) => `bbws_scratch_${id}`;
export const trashDbName = (id: string) => `bbws_trash_${id}`;
/** What {@link scratchDbName} and {@link trashDbName} make; nothing else is ever dropped as a leftover. */
export const SCRATCH_DB = /^bbws_(scratch|trash)_[a-z0-9]{12}$/;
/** Scratch dirs are `scratch-<owner>-<id>` (os/owned-names.ts): a sweep knows whose they are. */
export const SCRATCH_PREFIX = 'scratch';

export function newScratchId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(globalThis.crypto.getRandomValues(new Uint8Array(12)), (b) => alphabet[b % alphabet.length]).join('');
}

/** The secret that holds the repository password (generated on first use). */
export const repositoryPasswordSecret = (env: string) => `${env}-backup-repository-password`;
