import { describe, expect, it } from 'vitest';
import { BbwsError } from '../../src/domain/errors.js';
import { checkPolicy, findMainFile, isValidSlug, isValidVersion, parseBlocklist, parsePluginHeader, parseVulnerabilityFeed, vetPackage, type PackageFile } from '../../src/domain/plugin-policy.js';
import { scanPluginPackage } from '../../src/adapters/plugins/php-scan/scan-package.js';
import { compareVersions, isVersionSpec, matchesVersionSpec, matchesVersions } from '../../src/domain/plugin-version.js';

const file = (path: string, text: string): PackageFile => ({ path, content: new Uint8Array(Buffer.from(text)) });
const HEADER = "<?php\n/**\n * Plugin Name: Demo Plugin\n * Version: 1.2.3\n * Description: Does demo things. */\n";

describe('slug and version validation', () => {
  it('accepts the documented forms', () => {
    for (const s of ['a', 'hello-bbws', 'x'.repeat(64), '0-9']) expect(isValidSlug(s), s).toBe(true);
    for (const v of ['1', '1.2.3', '5.3.2-beta1', '9.1.1.1', '2.0+build.7']) expect(isValidVersion(v), v).toBe(true);
  });
  it('refuses hostile slugs and versions', () => {
    for (const s of ['', 'A', 'a_b', '../x', 'a/b', 'x'.repeat(65), 'a b', 'é', 'a\u0000']) expect(isValidSlug(s), s).toBe(false);
    for (const v of ['', '.', '..', '-1', '1/2', '1 2', 'x'.repeat(33), '1\n']) expect(isValidVersion(v), v).toBe(false);
    expect(isValidSlug(42)).toBe(false);
  });
});

describe('versions', () => {
  it('compares semver-ish versions', () => {
    expect(compareVersions('1.10', '1.9')).toBeGreaterThan(0);
    expect(compareVersions('2.0', '2.0.0')).toBe(0);
    expect(compareVersions('5.3.2-beta1', '5.3.2')).toBeLessThan(0);
    expect(compareVersions('9.1.1.1', '9.1.1')).toBeGreaterThan(0);
    expect(compareVersions('1.0+a', '1.0+b')).toBe(0);
    expect(compareVersions('10000000000000000001', '10000000000000000000')).toBeGreaterThan(0);
  });
  it('matches exact versions, comparators and conjunctions', () => {
    expect(matchesVersionSpec('2.3.1', '<=2.3.1')).toBe(true);
    expect(matchesVersionSpec('2.3.2', '<=2.3.1')).toBe(false);
    expect(matchesVersionSpec('9.1.0', '>=9.0.0 <=9.1.1.1')).toBe(true);
    expect(matchesVersionSpec('9.1.2', '>=9.0.0 <=9.1.1.1')).toBe(false);
    expect(matchesVersionSpec('6.8', '6.8')).toBe(true);
    expect(matchesVersionSpec('6.8', 'garbage spec !')).toBe(false);
    expect(matchesVersions('1.0', '*')).toBe(true);
    expect(matchesVersions('1.0', ['2.0', '<1.1'])).toBe(true);
    expect(isVersionSpec('<=1 >=2 <3 >4 =5')).toBe(false);
  });
});

describe('plugin header', () => {
  it('parses like get_file_data()', () => {
    expect(parsePluginHeader(HEADER)).toEqual({ name: 'Demo Plugin', version: '1.2.3', description: 'Does demo things.' });
    expect(parsePluginHeader('<?php\n# Plugin Name: Hash ?>\n')).toMatchObject({ name: 'Hash', version: undefined });
    expect(parsePluginHeader('<?php echo 1;')).toBeUndefined();
    expect(parsePluginHeader(`<?php\n${'x'.repeat(9000)}\n// Plugin Name: too late`)).toBeUndefined();
  });
  it('finds the main file at the top level, preferring <slug>.php', () => {
    const files = [file('inc/other.php', HEADER), file('b.php', HEADER.replace('Demo Plugin', 'B')), file('demo.php', HEADER)];
    expect(findMainFile(files, 'demo')?.path).toBe('demo.php');
    expect(findMainFile([files[0]], 'demo')).toBeUndefined();
  });
});

describe('blocklist and feed', () => {
  const blocklist = parseBlocklist([{ slug: 'bad', versions: '*', reason: 'backdoor' }, { slug: 'old', versions: ['<2.0'], reason: 'abandoned' }]).entries;
  const feed = parseVulnerabilityFeed({ vulnerabilities: [{ id: 'CVE-2020-1', slug: 'demo', affected: ['<=1.2.3'], fixedIn: '1.2.4', severity: 'high', title: 'XSS' }] }).entries;
  it('matches slug and versions', () => {
    expect(checkPolicy('bad', '9', blocklist, feed).map((v) => v.rule)).toEqual(['blocklisted']);
    expect(checkPolicy('old', '2.0', blocklist, feed)).toEqual([]);
    expect(checkPolicy('demo', '1.2.3', blocklist, feed)[0]).toMatchObject({ rule: 'known-vulnerable', message: expect.stringMatching(/CVE-2020-1 \(high\): XSS; fixed in 1\.2\.4/) });
    expect(checkPolicy('demo', '1.2.4', blocklist, feed)).toEqual([]);
  });
  it('accepts the object form with includeDefaults', () => {
    expect(parseBlocklist({ includeDefaults: false, entries: [] })).toEqual({ includeDefaults: false, entries: [] });
  });
  it('refuses malformed files with a message naming the entry', () => {
    const bad = (f: () => unknown, re: RegExp) => {
      expect(f).toThrow(BbwsError);
      expect(f).toThrow(re);
    };
    bad(() => parseBlocklist({}), /JSON array or an object/);
    bad(() => parseBlocklist([{ slug: '../x', versions: '*', reason: 'r' }]), /entry 0: slug/);
    bad(() => parseBlocklist([{ slug: 'x', versions: [], reason: 'r' }]), /entry 0: versions/);
    bad(() => parseBlocklist([{ slug: 'x', versions: ['<=1; rm -rf'], reason: 'r' }]), /versions/);
    bad(() => parseBlocklist([{ slug: 'x', versions: '*' }]), /reason/);
    bad(() => parseVulnerabilityFeed({ vulnerabilities: [{ id: 'CVE 1', slug: 'x', affected: '*' }] }), /id must be/);
    bad(() => parseVulnerabilityFeed([{ id: 'X-1', slug: 'x', affected: '*', severity: 'urgent' }]), /severity/);
  });
});

describe('vetPackage', () => {
  const base = { checksum: 'abc', blocklist: [], vulnerabilities: [], now: new Date('2026-01-01T00:00:00Z'), scan: scanPluginPackage };
  it('approves a clean package with its header', () => {
    const out = vetPackage({ ...base, slug: 'demo', files: [file('demo.php', HEADER), file('readme.txt', 'hi')] });
    expect(out.result).toEqual({ approved: true, violations: [], checksum: 'abc', vettedAt: '2026-01-01T00:00:00.000Z' });
    expect(out.header).toEqual({ name: 'Demo Plugin', version: '1.2.3', description: 'Does demo things.' });
  });
  it('rejects with every reason: bad slug, missing header, bad version, scan findings', () => {
    expect(vetPackage({ ...base, slug: 'Demo', files: [file('demo.php', HEADER)] }).result.violations.map((v) => v.rule)).toEqual(['invalid-slug']);
    expect(vetPackage({ ...base, slug: 'demo', files: [file('inc/demo.php', HEADER)] }).result.violations.map((v) => v.rule)).toEqual(['missing-header']);
    expect(vetPackage({ ...base, slug: 'demo', files: [file('demo.php', HEADER.replace('1.2.3', '../..'))] }).result.violations.map((v) => v.rule)).toEqual(['invalid-version']);
    const evil = vetPackage({ ...base, slug: 'demo', files: [file('demo.php', HEADER + 'system($_GET["c"]);')], vulnerabilities: [{ id: 'V-1', slug: 'demo', affected: '*' }] });
    expect(evil.result.approved).toBe(false);
    expect(evil.result.violations.map((v) => `${v.rule}:${v.file ?? ''}:${v.line ?? ''}`)).toEqual(['known-vulnerable::', 'shell-exec:demo.php:6']);
  });
  it('caps the number of reported violations', () => {
    const src = HEADER + 'system(1);\n'.repeat(500);
    const out = vetPackage({ ...base, slug: 'demo', files: [file('demo.php', src)] }).result.violations;
    expect(out).toHaveLength(201);
    expect(out[200].rule).toBe('too-many-violations');
  });
});
