/**
 * The PluginMarketplace on this host: vetted packages unpacked under `<dataDir>/plugins`
 * (layout in package-store.ts), policy from the shipped defaults plus the operator's
 * `blocklist.json` and `vulnerabilities.json` there (policy-files.ts, docs/plugins.md).
 *
 * Vetting runs twice (seed 001: "security-vetted install"): at publish, on the zip; and at every
 * install, on the stored files, because the blocklist and the feed change after publish, the scan
 * rules improve with bbws releases, and files on disk can be tampered with (the manifest's
 * sha256s catch that).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { BbwsError } from '../../domain/errors.js';
import { checkPolicy, isValidSlug, isValidVersion, vetPackage, type PluginViolation } from '../../domain/plugin-policy.js';
import { compareVersions, matchesVersions } from '../../domain/plugin-version.js';
import type { PluginMarketplace, PluginPackage } from '../../ports/plugin-marketplace.js';
import { listRecords, pluginDirOf, readRecord, readVerifiedFiles, sha256, storePackage, type StoredPackage } from './package-store.js';
import { scanPluginPackage } from './php-scan/scan-package.js';
import { loadPolicy, type Policy } from './policy-files.js';
import { ArchiveRejectedError, DEFAULT_ZIP_LIMITS, readPluginZip, type ZipLimits } from './zip.js';

export interface LocalMarketplaceOptions {
  /** The marketplace directory, `<dataDir>/plugins`. */
  dir: string;
  /** Operator blocklist (default `<dir>/blocklist.json`); missing file = defaults only. */
  blocklistFile?: string;
  /** Operator vulnerability feed (default `<dir>/vulnerabilities.json`); missing file = defaults only. */
  vulnerabilityFeedFile?: string;
  now?: () => number;
  zipLimits?: Partial<ZipLimits>;
}

/** The options for the marketplace of a data dir, as `bbws up` and `bbws plugins` use it. */
export function marketplaceOptionsFor(dataDir: string): LocalMarketplaceOptions {
  const dir = join(dataDir, 'plugins');
  return { dir, blocklistFile: join(dir, 'blocklist.json'), vulnerabilityFeedFile: join(dir, 'vulnerabilities.json') };
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const toPackage = (r: StoredPackage, vetting = r.vetting): PluginPackage => ({ slug: r.slug, version: r.version, name: r.name, description: r.description, vetting });

/** Newest first (so `list()` shows each slug's latest version first). */
const byVersionDesc = (a: StoredPackage, b: StoredPackage) => a.slug.localeCompare(b.slug) || compareVersions(b.version, a.version);

function rejection(violations: PluginViolation[], details: Record<string, unknown>): BbwsError {
  const what = details.slug ? `${details.slug}@${details.version ?? '?'}` : 'The package';
  return new BbwsError('PLUGIN_SECURITY_VIOLATION', `${what} failed security vetting (${violations.length} violation${violations.length === 1 ? '' : 's'}); details.violations says why.`, { ...details, violations });
}

export function createLocalMarketplace(options: LocalMarketplaceOptions): PluginMarketplace {
  const { dir } = options;
  const files = { blocklistFile: options.blocklistFile ?? join(dir, 'blocklist.json'), vulnerabilityFeedFile: options.vulnerabilityFeedFile ?? join(dir, 'vulnerabilities.json') };
  const limits: ZipLimits = { ...DEFAULT_ZIP_LIMITS, ...options.zipLimits };
  const now = () => new Date((options.now ?? Date.now)());

  /** The stored record with its vetting updated by today's blocklist and feed (cheap: no file reads). */
  const withPolicy = (r: StoredPackage, policy: Policy): PluginPackage => {
    const violations = checkPolicy(r.slug, r.version, policy.blocklist, policy.vulnerabilities);
    return violations.length ? toPackage(r, { ...r.vetting, approved: false, violations }) : toPackage(r);
  };

  const findRecord = async (slug: string, version?: string): Promise<StoredPackage | undefined> => {
    if (!isValidSlug(slug) || (version !== undefined && !isValidVersion(version))) return undefined;
    if (version !== undefined) return readRecord(dir, slug, version);
    return (await listRecords(dir)).filter((r) => r.slug === slug).sort(byVersionDesc)[0];
  };

  return {
    /**
     * Vets and stores a zip. Throws PLUGIN_SECURITY_VIOLATION (details: violations, slug, version,
     * checksum) when it is rejected — nothing is stored then — and VALIDATION_FAILED when the file
     * is missing or slug@version exists with different content (a version is immutable).
     */
    async publish(zipPath) {
      const info = await stat(zipPath).catch(() => undefined);
      if (!info?.isFile()) throw new BbwsError('VALIDATION_FAILED', `${zipPath} is not a file.`, { field: 'file' });
      if (info.size > limits.maxTotalBytes) throw rejection([{ rule: 'bad-archive', message: `the archive is larger than ${limits.maxTotalBytes} bytes` }], {});
      const checksum = await sha256OfFile(zipPath);
      let unpacked: Awaited<ReturnType<typeof readPluginZip>>;
      try {
        unpacked = await readPluginZip(zipPath, limits);
      } catch (err) {
        if (err instanceof ArchiveRejectedError) throw rejection(err.violations, { checksum });
        throw err;
      }
      const policy = await loadPolicy(files);
      const outcome = vetPackage({ slug: unpacked.slug, files: unpacked.files, checksum, ...policy, now: now(), scan: scanPluginPackage });
      const version = outcome.header?.version;
      if (!outcome.result.approved || !outcome.header || !version) throw rejection(outcome.result.violations, { slug: outcome.slug, version, checksum });

      const existing = await readRecord(dir, outcome.slug, version);
      const sameOrConflict = (r: StoredPackage) => {
        if (r.archiveSha256 === checksum) return toPackage(r);
        throw new BbwsError('VALIDATION_FAILED', `${r.slug}@${r.version} is already published with different content (sha256 ${r.archiveSha256.slice(0, 12)}…); a version is immutable: bump "Version:" in the plugin header.`, { slug: r.slug, version: r.version });
      };
      if (existing) return sameOrConflict(existing);
      const record: StoredPackage = {
        slug: outcome.slug,
        version,
        name: outcome.header.name,
        description: outcome.header.description,
        vetting: outcome.result,
        archiveSha256: checksum,
        files: Object.fromEntries(unpacked.files.map((f) => [f.path, sha256(f.content)])),
        publishedAt: outcome.result.vettedAt,
      };
      if (!(await storePackage(dir, record, unpacked.files))) return sameOrConflict((await readRecord(dir, record.slug, version))!);
      return toPackage(record);
    },

    async list() {
      const policy = await loadPolicy(files);
      return (await listRecords(dir))
        .sort(byVersionDesc)
        .map((r) => withPolicy(r, policy))
        .filter((p) => p.vetting.approved);
    },

    async get(slug, version) {
      const record = await findRecord(slug, version);
      return record ? withPolicy(record, await loadPolicy(files)) : undefined;
    },

    async prepareInstall(slug, version) {
      const record = await findRecord(slug, version);
      if (!record) return { ok: false, violations: [] };
      const verified = await readVerifiedFiles(pluginDirOf(dir, record.slug, record.version), record.files);
      const policy = await loadPolicy(files);
      // The whole vetting again, on the stored files: new scan rules apply to old packages too.
      const outcome = vetPackage({ slug: record.slug, files: verified.files, checksum: record.archiveSha256, ...policy, now: now(), priorViolations: verified.violations, scan: scanPluginPackage });
      if (outcome.header && outcome.header.version !== record.version) {
        outcome.result.violations.push({ rule: 'checksum-mismatch', message: `the stored header says version ${outcome.header.version}, the record ${record.version}` });
        outcome.result.approved = false;
      }
      const pkg = toPackage(record, outcome.result);
      return outcome.result.approved ? { ok: true, pkg, files: verified.files } : { ok: false, pkg, violations: outcome.result.violations };
    },

    /**
     * Entries for the guard must-use plugin, which compares versions exactly: ranges are expanded
     * to the stored versions they match (plugins only come from here), and known-vulnerable
     * versions are included too — a vulnerable plugin must not keep running either.
     */
    async blocklist() {
      const policy = await loadPolicy(files);
      const stored = await listRecords(dir);
      const expand = (slug: string, specs: string[] | '*'): string[] | '*' => {
        if (specs === '*') return '*';
        const exact = stored.filter((r) => r.slug === slug && matchesVersions(r.version, specs)).map((r) => r.version);
        return [...new Set([...exact, ...specs.filter((s) => isValidVersion(s))])];
      };
      return [
        ...policy.blocklist.map((b) => ({ slug: b.slug, versions: expand(b.slug, b.versions), reason: b.reason })),
        ...policy.vulnerabilities.map((v) => ({ slug: v.slug, versions: expand(v.slug, v.affected), reason: `known-vulnerable: ${v.id}${v.title ? ` (${v.title})` : ''}` })),
      ].filter((e) => e.versions === '*' || e.versions.length > 0);
    },
  };
}
