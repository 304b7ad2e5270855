/**
 * The tenant's plugin manifest: which plugins the marketplace installed, with the sha256 of each
 * file WordPress may load as a plugin's main file (the top-level `.php` files of its directory).
 * The guard mu-plugin (render-guard-plugin.ts) loads or activates a plugin only when its main
 * file is listed here with the same hash. `tenants/<t>/plugin-manifest.json`, 0640
 * root:<tenant group>: the tenant's PHP reads it, only root writes it (in the tenant's gate).
 *
 * ```json
 * { "plugins": { "hello-bbws": { "files": { "hello-bbws/hello-bbws.php": "<sha256>" } } } }
 * ```
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TenantPaths } from '../../runtime/local/layout.js';
import { pluginManifestFile, writeTenantDataFile, type TenantOwner } from '../../runtime/local/tenant-files.js';

export interface PluginManifest {
  plugins: Record<string, { files: Record<string, string> }>;
}

export async function readPluginManifest(paths: TenantPaths): Promise<PluginManifest> {
  const raw = await readFile(pluginManifestFile(paths), 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return '{"plugins":{}}';
    throw e;
  });
  const parsed = JSON.parse(raw) as Partial<PluginManifest>;
  return { plugins: parsed.plugins && typeof parsed.plugins === 'object' ? parsed.plugins : {} };
}

/** Canonical JSON (sorted keys), so the file is stable and golden-testable. */
export function renderPluginManifest(manifest: PluginManifest): string {
  const plugins = Object.fromEntries(
    Object.keys(manifest.plugins)
      .sort()
      .map((slug) => [slug, { files: Object.fromEntries(Object.entries(manifest.plugins[slug]!.files).sort(([a], [b]) => a.localeCompare(b))) }]),
  );
  return `${JSON.stringify({ plugins }, null, 2)}\n`;
}

/** sha256 of every top-level `.php` file of a plugin directory, keyed `<slug>/<file>` as WordPress names plugins. */
export async function mainFileHashes(dir: string, slug: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const d of await readdir(dir, { withFileTypes: true })) {
    if (!d.isFile() || !d.name.endsWith('.php')) continue;
    out[`${slug}/${d.name}`] = createHash('sha256').update(await readFile(join(dir, d.name))).digest('hex');
  }
  return out;
}

/** Records (files) or forgets (null) one plugin. Callers serialise changes per tenant. */
export async function updatePluginManifest(paths: TenantPaths, owner: TenantOwner | null, slug: string, files: Record<string, string> | null): Promise<void> {
  const manifest = await readPluginManifest(paths);
  if (files) manifest.plugins[slug] = { files };
  else delete manifest.plugins[slug];
  await writeTenantDataFile(pluginManifestFile(paths), renderPluginManifest(manifest), owner);
}
