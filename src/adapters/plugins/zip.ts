/**
 * Reads a plugin zip without trusting it (an operator publishes it, but it came from anywhere).
 *
 * Everything is checked from the central directory before a single byte is inflated: entry count,
 * declared sizes and compression ratio (zip bombs), names (zip-slip: `..`, absolute, backslashes,
 * control characters), symlinks and other special files, encryption, and the layout (one
 * top-level directory, named like the slug). Then entries are inflated into memory with a byte
 * budget (yauzl's validateEntrySizes makes a lying header fail). Files are written by
 * {@link writePackageFiles}, which checks containment again: two independent checks, because a
 * mistake here is a write anywhere on the host.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { unsafePackagePath as unsafeEntryName, type PackageFile, type PluginViolation } from '../../domain/plugin-policy.js';

export interface ZipLimits {
  /** At most this many entries (files and directories). */
  maxEntries: number;
  /** At most this many bytes once inflated, all entries together. */
  maxTotalBytes: number;
  /** An entry larger than 1 MiB may not inflate more than this many times its compressed size. */
  maxRatio: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = { maxEntries: 5000, maxTotalBytes: 50 * 1024 * 1024, maxRatio: 200 };

/** The archive itself is unacceptable; `violations` (rule `bad-archive`) say why. */
export class ArchiveRejectedError extends Error {
  readonly violations: PluginViolation[];
  constructor(violations: PluginViolation[]) {
    super(violations.map((v) => v.message).join('; '));
    this.name = 'ArchiveRejectedError';
    this.violations = violations;
  }
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

const reject = (message: string, file?: string): never => {
  throw new ArchiveRejectedError([{ rule: 'bad-archive', message, ...(file ? { file } : {}) }]);
};

async function readEntry(zip: ZipFile, entry: Entry, budget: { left: number }): Promise<Uint8Array> {
  const stream = await zip.openReadStreamPromise(entry);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    budget.left -= chunk.length;
    if (size > entry.uncompressedSize || budget.left < 0) {
      stream.destroy();
      reject('the archive inflates beyond its declared or allowed size', entry.fileName);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Reads a plugin zip: one top-level directory `<slug>/` holding the plugin. Returns the slug
 * (the directory name, validated later by the policy) and the files relative to it.
 * Throws {@link ArchiveRejectedError} for anything unsafe or malformed.
 */
export async function readPluginZip(zipPath: string, limits: ZipLimits = DEFAULT_ZIP_LIMITS): Promise<{ slug: string; files: PackageFile[] }> {
  let zip: ZipFile;
  try {
    zip = await yauzl.openPromise(zipPath, { lazyEntries: true, autoClose: false, decodeStrings: true, validateEntrySizes: true, strictFileNames: true });
  } catch (err) {
    return reject(`not a readable zip archive (${(err as Error).message})`);
  }
  try {
    if (zip.entryCount > limits.maxEntries) reject(`the archive has ${zip.entryCount} entries; at most ${limits.maxEntries} are allowed`);
    const entries: Entry[] = [];
    try {
      for await (const entry of zip.eachEntry()) entries.push(entry);
    } catch (err) {
      // yauzl refuses `..`, absolute paths and backslashes itself; say so as a violation.
      reject(`unsafe or corrupt entry (${(err as Error).message})`);
    }
    const tops = new Set<string>();
    const seen = new Set<string>();
    let declared = 0;
    const files: Entry[] = [];
    for (const e of entries) {
      const name = e.fileName;
      if (name.startsWith('__MACOSX/')) continue; // Finder's resource forks: never extracted.
      const why = unsafeEntryName(name);
      if (why) reject(`unsafe entry name: ${why}`, name.slice(0, 200));
      const type = (e.externalFileAttributes >>> 16) & S_IFMT;
      if (type === S_IFLNK) reject('symbolic links are not allowed', name);
      if (type !== 0 && type !== S_IFREG && type !== S_IFDIR) reject('special files (devices, FIFOs, sockets) are not allowed', name);
      if (e.isEncrypted()) reject('encrypted entries are not allowed', name);
      if (e.compressionMethod !== 0 && e.compressionMethod !== 8) reject(`compression method ${e.compressionMethod} is not supported (use deflate or store)`, name);
      const key = name.replace(/\/$/, '').toLowerCase();
      if (seen.has(key)) reject('the archive holds the same path twice (names differing only in case count as the same)', name);
      seen.add(key);
      const slash = name.indexOf('/');
      if (slash < 0) reject('files must sit inside one top-level directory named like the plugin slug', name);
      tops.add(name.slice(0, slash));
      if (name.endsWith('/')) continue;
      declared += e.uncompressedSize;
      if (declared > limits.maxTotalBytes) reject(`the archive inflates to more than ${limits.maxTotalBytes} bytes`);
      if (e.uncompressedSize > 1024 * 1024 && e.uncompressedSize > limits.maxRatio * Math.max(1, e.compressedSize)) {
        reject(`compression ratio above ${limits.maxRatio}:1 (a zip bomb?)`, name);
      }
      files.push(e);
    }
    if (tops.size !== 1) reject(tops.size === 0 ? 'the archive is empty' : `the archive has ${tops.size} top-level directories (${[...tops].slice(0, 5).join(', ')}); it must have exactly one, named like the slug`);
    const slug = [...tops][0];
    const budget = { left: limits.maxTotalBytes };
    const out: PackageFile[] = [];
    for (const e of files) {
      try {
        out.push({ path: e.fileName.slice(slug.length + 1), content: await readEntry(zip, e, budget) });
      } catch (err) {
        if (err instanceof ArchiveRejectedError) throw err;
        reject(`cannot inflate the entry (${(err as Error).message})`, e.fileName);
      }
    }
    return { slug, files: out };
  } finally {
    zip.close();
  }
}

/**
 * Writes package files under `root` (which must not exist yet, or be empty), read-only (0444).
 * Each path is resolved and must stay inside `root`; files are created exclusively (`wx`), so a
 * duplicate can never overwrite what was written and vetted first.
 */
export async function writePackageFiles(root: string, files: PackageFile[]): Promise<void> {
  const base = resolve(root);
  await mkdir(base, { recursive: true });
  for (const f of files) {
    const target = resolve(base, f.path);
    if (unsafeEntryName(f.path) || !target.startsWith(base + sep)) throw new ArchiveRejectedError([{ rule: 'bad-archive', message: 'a path escapes the package directory', file: f.path }]);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, f.content, { flag: 'wx', mode: 0o444 });
  }
}
