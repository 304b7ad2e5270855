/**
 * The blocklist shipped with bbws (a .ts constant because dist builds only .ts). Operators add to
 * it with `<dataDir>/plugins/blocklist.json` (format in docs/plugins.md), or replace it with
 * `"includeDefaults": false` there.
 *
 * Why these: on a multi-tenant host, plugins that browse the file system or the database from
 * wp-admin undo the isolation between tenants' files and credentials, whatever their version.
 */
import type { BlocklistEntry } from '../../../domain/plugin-policy.js';

export const DEFAULT_BLOCKLIST: readonly BlocklistEntry[] = [
  { slug: 'wp-file-manager', versions: '*', reason: 'file manager in wp-admin: reads and writes any file the PHP user can reach (platform policy)' },
  { slug: 'file-manager-advanced', versions: '*', reason: 'file manager in wp-admin (platform policy)' },
  { slug: 'ari-adminer', versions: '*', reason: 'database manager in wp-admin: exposes the tenant database credentials (platform policy)' },
  { slug: 'wp-phpmyadmin-extension', versions: '*', reason: 'phpMyAdmin inside wp-admin (platform policy)' },
];
