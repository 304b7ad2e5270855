/**
 * How the local marketplace keeps packages on disk:
 *
 *   <dir>/packages/<slug>/<version>/package.json   the record: name, vetting, archive sha256,
 *                                                  and a manifest of every file's sha256
 *   <dir>/packages/<slug>/<version>/<slug>/…       the unpacked plugin, files read-only (0444)
 *   <dir>/staging/<random>/                        a publish in progress (renamed into place)
 *
 * The rename makes a publish all-or-nothing: a version directory exists complete or not at all.
 */
import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { isValidSlug, isValidVersion, type PackageFile, type PluginViolation, type VettingResult } from '../../domain/plugin-policy.js';
import { writePackageFiles } from './zip.js';

export interface StoredPackage {
  slug: string;
  version: string;
  name: string;
  description: string;
  vetting: VettingResult;
  /** sha256 of the published zip. */
  archiveSha256: string;
  /** sha256 of every file, by path relative to the plugin directory. */
  files: Record<string, string>;
  publishedAt: string;
}

export const RECORD_FILE = 'package.json';

export const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

export const versionDir = (dir: string, slug: string, version: string) => join(dir, 'packages', slug, version);
export const pluginDirOf = (dir: string, slug: string, version: string) => join(versionDir(dir, slug, version), slug);

/** The record of slug@version, or undefined when it was never published. */
export async function readRecord(dir: string, slug: string, version: string): Promise<StoredPackage | undefined> {
  if (!isValidSlug(slug) || !isValidVersion(version)) return undefined;
  try {
    return JSON.parse(await readFile(join(versionDir(dir, slug, version), RECORD_FILE), 'utf8')) as StoredPackage;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function dirNames(path: string): Promise<string[]> {
  try {
    return (await readdir(path, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Every stored record (any slug, any version). */
export async function listRecords(dir: string): Promise<StoredPackage[]> {
  const out: StoredPackage[] = [];
  for (const slug of (await dirNames(join(dir, 'packages'))).filter(isValidSlug)) {
    for (const version of (await dirNames(join(dir, 'packages', slug))).filter(isValidVersion)) {
      const record = await readRecord(dir, slug, version);
      if (record) out.push(record);
    }
  }
  return out;
}

/**
 * Reads the stored plugin back and compares it with the manifest: a changed, missing or extra
 * file, or a symlink, is a `checksum-mismatch` (someone or something wrote to the marketplace).
 */
export async function readVerifiedFiles(root: string, manifest: Record<string, string>): Promise<{ files: PackageFile[]; violations: PluginViolation[] }> {
  const files: PackageFile[] = [];
  const violations: PluginViolation[] = [];
  const mismatch = (file: string, message: string) => violations.push({ rule: 'checksum-mismatch', message, file });
  const walk = async (path: string): Promise<void> => {
    for (const d of await readdir(path, { withFileTypes: true })) {
      const full = join(path, d.name);
      const rel = relative(root, full).split(sep).join('/');
      if (d.isDirectory()) await walk(full);
      else if (!d.isFile()) mismatch(rel, 'not a regular file (a symlink or special file appeared after publish)');
      else if (!(rel in manifest)) mismatch(rel, 'a file added after publish');
      else {
        const content = await readFile(full);
        if (sha256(content) !== manifest[rel]) mismatch(rel, 'the file changed after publish (sha256 differs from the manifest)');
        files.push({ path: rel, content });
      }
    }
  };
  try {
    if (!(await lstat(root)).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    await walk(root);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
    mismatch('.', 'the plugin directory is missing');
  }
  const seen = new Set(files.map((f) => f.path));
  for (const path of Object.keys(manifest)) if (!seen.has(path) && !violations.some((v) => v.file === path)) mismatch(path, 'a file deleted after publish');
  return { files, violations };
}

/**
 * Stores an approved package atomically. Returns false when slug@version already exists
 * (another publish won the race); the caller then compares checksums.
 */
export async function storePackage(dir: string, record: StoredPackage, files: PackageFile[]): Promise<boolean> {
  const staging = join(dir, 'staging', `${record.slug}-${randomBytes(6).toString('hex')}`);
  try {
    await writePackageFiles(join(staging, record.slug), files);
    await writeFile(join(staging, RECORD_FILE), JSON.stringify(record, null, 2), { mode: 0o444 });
    await mkdir(join(dir, 'packages', record.slug), { recursive: true });
    try {
      await rename(staging, versionDir(dir, record.slug, record.version));
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
      throw err;
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
