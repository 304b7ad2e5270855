/**
 * The pieces that make backups cheaper without making them less exact: the file hash cache of
 * incremental backups (file-digest-cache.ts, with backup.ts's digestTree) and the batching of a
 * dump's one-row INSERTs before it is loaded (sql-dump.ts's batchInserts).
 */
import { mkdtemp, rm, utimes, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openFileDigestCache } from '../../src/adapters/backup/file-digest-cache.js';
import { batchInserts } from '../../src/adapters/backup/sql-dump.js';
import { digestTree } from '../../src/adapters/wordpress/local/backup.js';

let dir: string;
let tree: string;
const cacheFile = () => join(dir, 'cache', 'key.json');
// "Now" for the cache: far enough after the files were written that none is racy.
const later = () => Date.now() + 10_000;
const FIXED = 1_700_000_000; // an mtime in whole seconds, settable again exactly

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bbws-digests-'));
  tree = join(dir, 'tree');
  await mkdir(join(tree, 'a'), { recursive: true });
  await writeFile(join(tree, 'a', 'one.bin'), 'one');
  await writeFile(join(tree, 'two.txt'), 'two');
  await utimes(join(tree, 'two.txt'), FIXED, FIXED);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('file hash cache of incremental backups', () => {
  it('reads only files whose metadata changed, and gives the same digest as a full read', async () => {
    const first = await openFileDigestCache(cacheFile(), { use: false, now: later });
    const full = await digestTree(tree, first);
    expect(first.hashed).toBe(2);
    await first.save();

    const second = await openFileDigestCache(cacheFile(), { use: true, now: later });
    expect(await digestTree(tree, second)).toEqual(full);
    expect(second.hashed).toBe(0);
    await second.save();

    // Same size, same inode, mtime set back to the old value: the ctime still moved, so the file is read again.
    await new Promise((r) => setTimeout(r, 20));
    await writeFile(join(tree, 'two.txt'), 'TWO');
    await utimes(join(tree, 'two.txt'), FIXED, FIXED);
    const third = await openFileDigestCache(cacheFile(), { use: true, now: later });
    const changed = await digestTree(tree, third);
    expect(third.hashed).toBe(1);
    expect(changed.sha256).not.toBe(full.sha256);
    expect(changed).toEqual(await digestTree(tree));
  });

  it('a full backup (use: false) trusts nothing; a racy file (changed just now) is not remembered', async () => {
    const first = await openFileDigestCache(cacheFile(), { use: false, now: later });
    await digestTree(tree, first);
    await first.save();
    const full = await openFileDigestCache(cacheFile(), { use: false, now: later });
    await digestTree(tree, full);
    expect(full.hashed).toBe(2);

    // The files were written a moment ago: with the real clock they are racy, so not cached.
    const racy = await openFileDigestCache(cacheFile(), { use: false });
    await digestTree(tree, racy);
    await racy.save();
    const next = await openFileDigestCache(cacheFile(), { use: true, now: later });
    await digestTree(tree, next);
    expect(next.hashed).toBe(2);
  });

  it('an unreadable cache means every file is read', async () => {
    await mkdir(join(dir, 'cache'), { recursive: true });
    await writeFile(cacheFile(), '{not json');
    const c = await openFileDigestCache(cacheFile(), { use: true, now: later });
    expect(await digestTree(tree, c)).toEqual(await digestTree(tree));
    expect(c.hashed).toBe(2);
  });
});

describe('batchInserts', () => {
  const run = (lines: string[], batchBytes?: number) => {
    const out: Buffer[] = [];
    const b = batchInserts((c) => out.push(c), batchBytes);
    for (const l of lines) b.line(Buffer.from(l));
    b.end();
    return Buffer.concat(out).toString();
  };

  it('joins consecutive one-row INSERTs of a table and passes every other line unchanged', () => {
    const dump = [
      '/*!40101 SET NAMES utf8mb4 */;',
      "INSERT INTO `wp_posts` VALUES (1,'a;b),(c');",
      "INSERT INTO `wp_posts` VALUES (2,'x\\ny\\r');",
      'INSERT INTO `wp_options` VALUES (1,0x00ff);',
      'commit;',
      "INSERT INTO `wp_posts` VALUES (3,'z');",
    ];
    expect(run(dump)).toBe(
      [
        '/*!40101 SET NAMES utf8mb4 */;',
        "INSERT INTO `wp_posts` VALUES (1,'a;b),(c'),(2,'x\\ny\\r');",
        'INSERT INTO `wp_options` VALUES (1,0x00ff);',
        'commit;',
        "INSERT INTO `wp_posts` VALUES (3,'z');",
        '',
      ].join('\n'),
    );
  });

  it('starts a new statement before one would outgrow the batch size; keeps bytes as they are', () => {
    const rows = Array.from({ length: 5 }, (_, i) => `INSERT INTO \`t\` VALUES (${i},'${'x'.repeat(10)}');`);
    const out = run(rows, 40).trim().split('\n');
    expect(out.length).toBeGreaterThan(1);
    expect(out.every((l) => l.startsWith('INSERT INTO `t` VALUES (') && l.endsWith(');'))).toBe(true);
    expect(out.join('').match(/\(\d,/g)).toHaveLength(5);
    const latin1 = Buffer.from([0x49, 0x4e, 0xff, 0x0d]); // not UTF-8, and a lone CR
    const o: Buffer[] = [];
    const b = batchInserts((c) => o.push(c));
    b.line(latin1);
    b.end();
    expect(Buffer.concat(o)).toEqual(Buffer.concat([latin1, Buffer.from('\n')]));
  });
});
