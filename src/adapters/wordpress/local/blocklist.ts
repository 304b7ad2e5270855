/**
 * The plugin blocklist as the guard mu-plugin reads it (render-guard-plugin.ts): one JSON file
 * per tenant, `tenants/<t>/plugin-blocklist.json`, root-owned and readable by the tenant's group.
 * The platform writes it whenever its marketplace blocklist changes (and for new tenants).
 */
import { readdir } from 'node:fs/promises';
import { isValidTenantId } from '../../../domain/naming.js';
import type { WordPressHost } from '../../runtime/local/local-runtime.js';
import { writeBlocklistFile } from '../../runtime/local/tenant-files.js';

export interface BlocklistEntry {
  slug: string;
  /** Blocked versions, or every version. */
  versions: string[] | '*';
  reason: string;
}

const SLUG = /^[a-z0-9][a-z0-9._-]{0,99}$/;

/** Canonical JSON for the guard: validated, sorted, stable (golden-testable). */
export function renderBlocklist(entries: BlocklistEntry[]): string {
  const clean = entries.map((e) => {
    if (!SLUG.test(e.slug)) throw new Error(`blocklist: bad plugin slug ${JSON.stringify(e.slug)}`);
    if (e.versions !== '*' && !(Array.isArray(e.versions) && e.versions.every((v) => typeof v === 'string' && v.length <= 64)))
      throw new Error(`blocklist: versions of ${e.slug} must be '*' or a list of strings`);
    return { slug: e.slug, versions: e.versions === '*' ? '*' : [...e.versions].sort(), reason: String(e.reason).slice(0, 500) };
  });
  clean.sort((a, b) => a.slug.localeCompare(b.slug));
  return `${JSON.stringify(clean, null, 2)}\n`;
}

/** Writes the blocklist for one tenant, or for every tenant of this runtime (`'all'`). */
export async function writeBlocklist(runtime: WordPressHost, target: string | 'all', entries: BlocklistEntry[]): Promise<void> {
  const json = renderBlocklist(entries);
  const tenants = target === 'all' ? (await readdir(runtime.layout.tenantsDir)).filter((t) => isValidTenantId(t)) : [target];
  for (const t of tenants) {
    const paths = runtime.tenantPaths(t);
    // A tenant being removed (or not yet created): nothing to protect.
    const owner = await runtime.tenantOwner(t).catch(() => undefined);
    if (owner === undefined) continue;
    await writeBlocklistFile(paths, json, owner).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }
}
