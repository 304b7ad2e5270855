/**
 * Zips for plugin tests: {@link zipPluginDir} packs a fixture directory the way an operator's zip
 * tool would (with yazl), {@link writeRawZip} writes archives no honest tool would produce
 * (zip-slip names, symlinks, lying sizes, encryption flags) to test the reader's refusals.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateRawSync } from 'node:zlib';
import { afterAll } from 'vitest';
import yazl from 'yazl';

export const PLUGIN_FIXTURES = fileURLToPath(new URL('../fixtures/plugins', import.meta.url));

/**
 * Temp dirs holding the zips written for the importing test file: removed after its tests (this
 * module is imported during collection, so afterAll attaches to that file), whatever they did.
 */
const zipDirs = new Set<string>();
afterAll(() => {
  for (const d of zipDirs) rmSync(d, { recursive: true, force: true });
  zipDirs.clear();
});
function zipDir(prefix = 'bbws-plugin-zip-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  zipDirs.add(d);
  return d;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/**
 * Zips `dir` into a temp file as `<topName>/…` (default: the directory's own name) and returns
 * the zip's path. `overrides` replaces or adds files (path relative to the plugin directory).
 */
export async function zipPluginDir(dir: string, options: { topName?: string; overrides?: Record<string, string | Buffer>; out?: string } = {}): Promise<string> {
  const top = options.topName ?? basename(dir);
  const zip = new yazl.ZipFile();
  const contents = new Map<string, Buffer>();
  for (const file of walk(dir)) contents.set(relative(dir, file).split(sep).join('/'), readFileSync(file));
  for (const [path, data] of Object.entries(options.overrides ?? {})) contents.set(path, Buffer.from(data));
  for (const [path, data] of contents) zip.addBuffer(data, `${top}/${path}`, { mode: 0o100644 });
  zip.end();
  const out = options.out ?? join(zipDir(), `${top}.zip`);
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  writeFileSync(out, Buffer.concat(chunks));
  return out;
}

/** Zips the fixture plugin `test/fixtures/plugins/<name>`. */
export function zipFixturePlugin(name: string, options: Parameters<typeof zipPluginDir>[1] = {}): Promise<string> {
  return zipPluginDir(join(PLUGIN_FIXTURES, name), options);
}

export interface RawEntry {
  name: string;
  data?: Buffer | string;
  /** 0 = stored, 8 = deflate (default). */
  method?: 0 | 8;
  /** Unix mode in the upper 16 bits of the external attributes (e.g. 0o120777 for a symlink). */
  unixMode?: number;
  /** General-purpose flags (bit 0 = encrypted). */
  flags?: number;
  /** Lie about the uncompressed size (zip bombs that understate). */
  declaredSize?: number;
}

/** Writes a zip byte by byte, with no validation at all: hostile archives for tests. */
export function writeRawZip(entries: RawEntry[], out = join(zipDir('bbws-raw-zip-'), 'raw.zip')): string {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const data = Buffer.from(e.data ?? '');
    const method = e.method ?? 8;
    const body = method === 8 ? deflateRawSync(data) : data;
    const name = Buffer.from(e.name, 'utf8');
    const size = e.declaredSize ?? data.length;
    const crc = crc32(data);
    const flags = (e.flags ?? 0) | 0x800; // UTF-8 names
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, body);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((e.unixMode ?? (e.name.endsWith('/') ? 0o40755 : 0o100644)) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  writeFileSync(out, Buffer.concat([...locals, cd, end]));
  return out;
}

/** A plugin directory's files as a package (paths relative to it), for WordPress.installPlugin. */
export function packageFilesOf(dir: string): Array<{ path: string; content: Uint8Array }> {
  const walk = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
  return walk(dir).map((file) => ({ path: relative(dir, file).split(sep).join('/'), content: readFileSync(file) }));
}
