/**
 * The marketplace of vetted plugin packages that operators publish (seed 001 plugins-service,
 * seed 000 "Plugin installation fails with security error"). Adapter:
 * `adapters/plugins/local-marketplace.ts` (packages unpacked under the data dir).
 *
 * What an adapter must guarantee: a published version is immutable (same slug and version, same
 * bytes); `prepareInstall` vets the stored package again at every call (policies change) and
 * hands over the very bytes it vetted, as files with relative paths (no path of the adapter's
 * storage leaks out, and nothing can change between the check and the copy); a package that fails
 * is never handed over.
 */
import type { PackageFile } from '../domain/plugin-policy.js';

export type { PackageFile };
export interface PluginViolation {
  /** Stable rule id, e.g. `blocklisted`, `known-vulnerable`, `eval-decoded`, `shell-exec`, `remote-include`, `obfuscation`, `checksum-mismatch`, `bad-archive`. */
  rule: string;
  message: string;
  /** Path inside the package and line, when the rule concerns code. */
  file?: string;
  line?: number;
}

export interface VettingResult {
  approved: boolean;
  violations: PluginViolation[];
  /** sha256 of the package archive. */
  checksum: string;
  vettedAt: string;
}

export interface PluginPackage {
  slug: string;
  version: string;
  name: string;
  description: string;
  vetting: VettingResult;
}

export interface PluginMarketplace {
  /**
   * Vets a zip; when approved, stores and lists it. A rejected package is not stored: publish throws
   * PLUGIN_SECURITY_VIOLATION with `details.violations`. A version is immutable: the same slug and
   * version with other content is VALIDATION_FAILED.
   */
  publish(zipPath: string): Promise<PluginPackage>;
  /** Approved packages (latest version of each slug first). */
  list(): Promise<PluginPackage[]>;
  get(slug: string, version?: string): Promise<PluginPackage | undefined>;
  /**
   * Vets the stored package again (blocklist and vulnerability feed may have changed, the files
   * must still match their checksum) and returns its files, exactly the bytes vetted, or the
   * violations (none and no `pkg`: no such package).
   */
  prepareInstall(slug: string, version?: string): Promise<{ ok: true; pkg: PluginPackage; files: readonly PackageFile[] } | { ok: false; pkg?: PluginPackage; violations: PluginViolation[] }>;
  /** Slugs and versions that must never run (for the must-use plugin inside WordPress). */
  blocklist(): Promise<Array<{ slug: string; versions: string[] | '*'; reason: string }>>;
}
