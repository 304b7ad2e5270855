/**
 * restic's arguments (restic-args.ts): include patterns that match exactly one path, and ids and
 * tags that cannot be read as flags. The real restic matches them in
 * test/integration/backup-glob-paths.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { resticExactPattern, resticKeyId, resticPath, resticSnapshotId, resticTag } from '../../src/adapters/backup/restic-args.js';
import { UnsafeValueError } from '../../src/adapters/runtime/local/escape.js';

describe('restic arguments', () => {
  it('escapes every pattern character of a path, and only those', () => {
    expect(resticExactPattern('/root/my[1]/b*b?/x\\y/backup-work')).toBe('/root/my\\[1\\]/b\\*b\\?/x\\\\y/backup-work');
    expect(resticExactPattern('/srv/bbws data/ü')).toBe('/srv/bbws data/ü');
  });

  it('refuses relative paths, .. segments and control characters', () => {
    for (const bad of ['backup-work', '-rf', '/a/../b', '/a\nb', '/a\u0000b', '', 42, null]) {
      expect(() => resticPath(bad)).toThrow(UnsafeValueError);
      expect(() => resticExactPattern(bad)).toThrow(UnsafeValueError);
    }
  });

  it('takes snapshot ids and tags as restic prints and bbws makes them, nothing that reads as a flag', () => {
    expect(resticSnapshotId('4f1a9c3e')).toBe('4f1a9c3e');
    expect(resticSnapshotId('a'.repeat(64))).toBe('a'.repeat(64));
    for (const bad of ['latest', '--keep-last=0', '4F1A9C3E', '4f1a9c3', 'a'.repeat(65), '', null]) expect(() => resticSnapshotId(bad)).toThrow(UnsafeValueError);
    expect(resticKeyId('b9c05bbe')).toBe('b9c05bbe');
    for (const bad of ['--all', 'B9C05BBE', undefined]) expect(() => resticKeyId(bad)).toThrow(UnsafeValueError);
    expect(resticTag('tenant=acme42')).toBe('tenant=acme42');
    for (const bad of ['a,b', '--host', 'Tenant', 'x y', '', null]) expect(() => resticTag(bad)).toThrow(UnsafeValueError);
  });
});
