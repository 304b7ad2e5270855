/** Write-to-temp-then-rename: exact modes, the old or the new content, and no temp file left by a failure. */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { replaceSymlink, writeFileAtomic, writeFileAtomicSync } from '../../src/adapters/files/atomic-write.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'bbws-atomic-'));
  dirs.push(d);
  return d;
};

describe('atomic writes', () => {
  it('replaces a file with the mode given, whatever the umask', async () => {
    const d = temp();
    const f = join(d, 'a.json');
    writeFileSync(f, 'old', { mode: 0o644 });
    const umask = process.umask(0o077);
    try {
      await writeFileAtomic(f, 'new', 0o644);
    } finally {
      process.umask(umask);
    }
    expect(readFileSync(f, 'utf8')).toBe('new');
    expect(statSync(f).mode & 0o777).toBe(0o644);
    writeFileAtomicSync(f, 'newer');
    expect(readFileSync(f, 'utf8')).toBe('newer');
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(readdirSync(d)).toEqual(['a.json']);
  });

  it('leaves the old content and no temp file when the rename fails', async () => {
    const d = temp();
    const target = join(d, 'taken');
    mkdirSync(join(target, 'child'), { recursive: true }); // a non-empty directory: rename(2) refuses
    await expect(writeFileAtomic(target, 'x')).rejects.toThrow();
    expect(() => writeFileAtomicSync(target, 'x')).toThrow();
    expect(readdirSync(d)).toEqual(['taken']);
  });

  it('re-points a symlink', async () => {
    const d = temp();
    const link = join(d, 'current');
    await replaceSymlink('one', link);
    await replaceSymlink('two', link);
    expect(readlinkSync(link)).toBe('two');
    expect(readdirSync(d)).toEqual(['current']);
  });
});
