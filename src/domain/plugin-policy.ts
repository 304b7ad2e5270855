/**
 * Plugin marketplace policy (seed 001 plugins-service, seed 000 "Plugin installation fails with
 * security error"). PURE: the adapter reads the zip and the files; this module decides.
 *
 * - slug and version rules (the slug names a directory and a DB option; the version is shown and compared),
 * - the plugin header (`Plugin Name:`, `Version:`, `Description:`) parsed as WordPress does,
 * - the blocklist and the known-vulnerable feed (JSON formats documented in docs/plugins.md),
 * - {@link vetPackage}: everything above plus the static scan (given as a {@link PackageScanner}: the
 *   scanner parses PHP with a library, so it lives in src/adapters/plugins/php-scan/), as one
 *   {@link VettingResult}.
 */
import { BbwsError } from './errors.js';
import { isVersionSpec, matchesVersions } from './plugin-version.js';

/** Same shape as the port's `PluginViolation` (domain cannot import ports). */
export interface PluginViolation {
  rule: string;
  message: string;
  file?: string;
  line?: number;
}

export const PLUGIN_SLUG_PATTERN = /^[a-z0-9-]{1,64}$/;
export const PLUGIN_VERSION_PATTERN = /^[0-9A-Za-z.+-]{1,32}$/;
/** A malicious package can trip thousands of rules; the first ones tell the story. */
export const MAX_REPORTED_VIOLATIONS = 200;

/** Same shape as the port's `VettingResult` (domain cannot import ports). */
export interface VettingResult {
  approved: boolean;
  violations: PluginViolation[];
  checksum: string;
  vettedAt: string;
}

export interface BlocklistEntry {
  slug: string;
  /** `'*'` or version specs: `2.3.1`, `<=2.3.1`, `>=9.0.0 <9.1.2` (see plugin-version.ts). */
  versions: string[] | '*';
  reason: string;
}

export interface VulnerabilityEntry {
  /** CVE or advisory id. */
  id: string;
  slug: string;
  affected: string[] | '*';
  fixedIn?: string;
  severity?: 'low' | 'medium' | 'high' | 'critical';
  title?: string;
}

export interface PluginHeader {
  name: string;
  version: string;
  description: string;
}

/** A file of an unpacked package; `path` is relative to the plugin directory (`includes/a.php`). */
export interface PackageFile {
  path: string;
  content: Uint8Array;
}

/**
 * Why a path inside a package is unsafe to write under the plugin's directory, or undefined: the
 * rule for zip entries at publish (yauzl checks `..`, absolute paths and backslashes too) and for
 * the files an installer writes.
 */
export function unsafePackagePath(name: string): string | undefined {
  if (name.length === 0 || name.length > 1024) return 'an empty or overlong name';
  if (name.includes('\\')) return 'a backslash in the name';
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return 'an absolute path';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(name)) return 'a control character in the name';
  if (name.includes(':')) return 'a colon in the name';
  const segments = name.replace(/\/$/, '').split('/');
  if (segments.some((s) => s === '..')) return 'a ".." path segment';
  if (segments.some((s) => s === '' || s === '.')) return 'an empty or "." path segment';
  if (segments.some((s) => s.length > 255) || segments.length > 32) return 'a path too long or too deep';
  return undefined;
}

export function isValidSlug(slug: unknown): slug is string {
  return typeof slug === 'string' && PLUGIN_SLUG_PATTERN.test(slug);
}

/**
 * A version names a directory in the marketplace, so on top of the pattern it must start with a
 * letter or digit: `.` and `..` match `^[0-9A-Za-z.+-]{1,32}$` and would escape the slug's directory.
 */
export function isValidVersion(version: unknown): version is string {
  return typeof version === 'string' && PLUGIN_VERSION_PATTERN.test(version) && /^[0-9A-Za-z]/.test(version);
}

/**
 * Reads one header field the way WordPress's get_file_data() does: first 8 KiB, a line that may
 * start with `<?php`, spaces, `*`, `#`, `@` or `/`, then `Field:`; the value stops at `*\/` or `?>`.
 */
export function readHeaderField(source: string, field: string): string | undefined {
  const head = source.slice(0, 8192).replace(/\r/g, '\n');
  const escaped = field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`^(?:[ \\t]*<\\?php)?[ \\t/*#@]*${escaped}:(.*)$`, 'mi').exec(head);
  if (!m) return undefined;
  const value = m[1].replace(/\s*(?:\*\/|\?>).*/, '').trim();
  return value || undefined;
}

/** `Plugin Name`, `Version`, `Description` of a main plugin file, or undefined when it has no `Plugin Name`. */
export function parsePluginHeader(source: string): { name: string; version?: string; description: string } | undefined {
  const name = readHeaderField(source, 'Plugin Name');
  if (!name) return undefined;
  return { name, version: readHeaderField(source, 'Version'), description: readHeaderField(source, 'Description') ?? '' };
}

/**
 * The main file: a top-level `.php` file with a `Plugin Name:` header, as WordPress finds it;
 * `<slug>.php` wins when several have one.
 */
export function findMainFile(files: PackageFile[], slug: string): { path: string; header: NonNullable<ReturnType<typeof parsePluginHeader>> } | undefined {
  const candidates = files
    .filter((f) => !f.path.includes('/') && /\.php$/i.test(f.path))
    .sort((a, b) => Number(b.path === `${slug}.php`) - Number(a.path === `${slug}.php`) || a.path.localeCompare(b.path));
  for (const f of candidates) {
    const header = parsePluginHeader(new TextDecoder().decode(f.content.subarray(0, 8192)));
    if (header) return { path: f.path, header };
  }
  return undefined;
}

/** Blocklist and vulnerability-feed violations for one slug and version. */
export function checkPolicy(slug: string, version: string, blocklist: BlocklistEntry[], feed: VulnerabilityEntry[]): PluginViolation[] {
  const out: PluginViolation[] = [];
  for (const b of blocklist) {
    if (b.slug === slug && matchesVersions(version, b.versions)) {
      out.push({ rule: 'blocklisted', message: `${slug}@${version} is on the blocklist: ${b.reason}` });
    }
  }
  for (const v of feed) {
    if (v.slug === slug && matchesVersions(version, v.affected)) {
      const fix = v.fixedIn ? `; fixed in ${v.fixedIn}` : '; no fixed version known';
      out.push({ rule: 'known-vulnerable', message: `${slug}@${version} is affected by ${v.id}${v.severity ? ` (${v.severity})` : ''}${v.title ? `: ${v.title}` : ''}${fix}` });
    }
  }
  return out;
}

export interface VetInput {
  /** The package's top-level directory name. */
  slug: string;
  files: PackageFile[];
  /** sha256 of the archive (or of the manifest on re-vetting). */
  checksum: string;
  blocklist: BlocklistEntry[];
  vulnerabilities: VulnerabilityEntry[];
  now: Date;
  /** Violations found before this point (archive problems, checksum mismatches). */
  priorViolations?: PluginViolation[];
  /** The static scan of the package's files. */
  scan: PackageScanner;
}

/** Scans all files of a package together (data flow crosses files), returning what it refuses. */
export type PackageScanner = (files: PackageFile[]) => PluginViolation[];

export interface VetOutcome {
  slug: string;
  header?: PluginHeader;
  result: VettingResult;
}

/** Vets an unpacked package: slug, header, version, blocklist, feed, then every file's scan. */
export function vetPackage(input: VetInput): VetOutcome {
  const violations: PluginViolation[] = [...(input.priorViolations ?? [])];
  let header: PluginHeader | undefined;
  const slug = input.slug;
  // Plain booleans: the type guards would narrow `string` to `never` in the failure branch.
  const slugOk: boolean = isValidSlug(slug);
  if (!slugOk) {
    violations.push({ rule: 'invalid-slug', message: `the top-level directory "${slug.slice(0, 80)}" is not a valid slug (lowercase letters, digits and dashes, at most 64)` });
  } else {
    const main = findMainFile(input.files, input.slug);
    if (!main) {
      violations.push({ rule: 'missing-header', message: `no top-level .php file in ${input.slug}/ has a "Plugin Name:" header` });
    } else if (!(isValidVersion(main.header.version) as boolean)) {
      const raw = main.header.version;
      const found = raw === undefined ? 'none' : `"${raw.slice(0, 40)}"`;
      violations.push({ rule: 'invalid-version', message: `the "Version:" header of ${main.path} must be 1-32 of [0-9A-Za-z.+-], starting with a letter or digit (found ${found})`, file: main.path });
    } else {
      header = { name: main.header.name.slice(0, 200), version: main.header.version as string, description: main.header.description.slice(0, 1000) };
      violations.push(...checkPolicy(input.slug, header.version, input.blocklist, input.vulnerabilities));
    }
  }
  violations.push(...input.scan(input.files));
  const reported = violations.length > MAX_REPORTED_VIOLATIONS
    ? [...violations.slice(0, MAX_REPORTED_VIOLATIONS), { rule: 'too-many-violations', message: `${violations.length - MAX_REPORTED_VIOLATIONS} more violations not shown` }]
    : violations;
  return {
    slug: input.slug,
    header,
    result: { approved: violations.length === 0, violations: reported, checksum: input.checksum, vettedAt: input.now.toISOString() },
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseVersions(v: unknown, where: string): string[] | '*' {
  if (v === '*') return '*';
  if (!Array.isArray(v) || v.length === 0 || !v.every((s) => typeof s === 'string' && isVersionSpec(s))) {
    throw new BbwsError('VALIDATION_FAILED', `${where}: versions must be "*" or a non-empty list of versions or ranges like "<=2.3.1"`, { field: where });
  }
  return v as string[];
}

function listOf(value: unknown, key: string, what: string): { entries: unknown[]; includeDefaults: boolean } {
  if (Array.isArray(value)) return { entries: value, includeDefaults: true };
  if (isObject(value) && Array.isArray(value[key])) {
    if (value.includeDefaults !== undefined && typeof value.includeDefaults !== 'boolean') throw new BbwsError('VALIDATION_FAILED', `${what}: includeDefaults must be true or false`);
    return { entries: value[key] as unknown[], includeDefaults: value.includeDefaults !== false };
  }
  throw new BbwsError('VALIDATION_FAILED', `${what} must be a JSON array or an object with "${key}": [...]`);
}

/** Validates a parsed blocklist file. Throws VALIDATION_FAILED naming the bad entry: a broken blocklist must not be half-applied. */
export function parseBlocklist(value: unknown): { entries: BlocklistEntry[]; includeDefaults: boolean } {
  const { entries, includeDefaults } = listOf(value, 'entries', 'the blocklist');
  return {
    includeDefaults,
    entries: entries.map((e, i) => {
      const where = `blocklist entry ${i}`;
      if (!isObject(e) || !isValidSlug(e.slug)) throw new BbwsError('VALIDATION_FAILED', `${where}: slug must match ${PLUGIN_SLUG_PATTERN}`);
      if (typeof e.reason !== 'string' || !e.reason.trim() || e.reason.length > 500) throw new BbwsError('VALIDATION_FAILED', `${where}: reason must be a non-empty string (at most 500 characters)`);
      return { slug: e.slug, versions: parseVersions(e.versions ?? '*', where), reason: e.reason.trim() };
    }),
  };
}

const SEVERITIES = new Set(['low', 'medium', 'high', 'critical']);

/** Validates a parsed vulnerability feed (format in docs/plugins.md). */
export function parseVulnerabilityFeed(value: unknown): { entries: VulnerabilityEntry[]; includeDefaults: boolean } {
  const { entries, includeDefaults } = listOf(value, 'vulnerabilities', 'the vulnerability feed');
  return {
    includeDefaults,
    entries: entries.map((e, i) => {
      const where = `vulnerability ${i}`;
      if (!isObject(e) || typeof e.id !== 'string' || !/^[A-Za-z0-9._:-]{1,64}$/.test(e.id)) throw new BbwsError('VALIDATION_FAILED', `${where}: id must be an advisory id like CVE-2020-25213`);
      if (!isValidSlug(e.slug)) throw new BbwsError('VALIDATION_FAILED', `${where} (${e.id}): slug must match ${PLUGIN_SLUG_PATTERN}`);
      if (e.fixedIn !== undefined && !isValidVersion(e.fixedIn)) throw new BbwsError('VALIDATION_FAILED', `${where} (${e.id}): fixedIn must be a version`);
      if (e.severity !== undefined && !SEVERITIES.has(e.severity as string)) throw new BbwsError('VALIDATION_FAILED', `${where} (${e.id}): severity must be low, medium, high or critical`);
      if (e.title !== undefined && (typeof e.title !== 'string' || e.title.length > 300)) throw new BbwsError('VALIDATION_FAILED', `${where} (${e.id}): title must be a string of at most 300 characters`);
      return {
        id: e.id,
        slug: e.slug,
        affected: parseVersions(e.affected, `${where} (${e.id})`),
        ...(e.fixedIn !== undefined ? { fixedIn: e.fixedIn as string } : {}),
        ...(e.severity !== undefined ? { severity: e.severity as VulnerabilityEntry['severity'] } : {}),
        ...(e.title !== undefined ? { title: e.title as string } : {}),
      };
    }),
  };
}
