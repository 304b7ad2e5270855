/**
 * After a tenant backup was restored into a new tenant: each site gets the new tenant's host name
 * (URLs rewritten everywhere, serialized values included — clone.ts's rewrite), and its secrets
 * are rotated, so the copy shares no credential with the original: every user's password is
 * replaced by a random one and every session ended; the site's admin gets a new password, which
 * the caller keeps in the secret store. (The database user and password, and the WordPress salts
 * of wp-config, are the new tenant's own already: provisioning made them.)
 */
import type { SiteRef } from '../../ports/wordpress.js';
import { rewriteUrlsInTables, prefixOf } from '../wordpress/local/clone.js';
import type { TenantAccess } from '../wordpress/local/tenant-access.js';
import { siteHomeUrl } from '../wordpress/local/sites-map.js';

const ROTATE_PHP = String.raw`
$admin = null;
foreach (get_users(['fields' => ['ID', 'user_login']]) as $u) {
  wp_set_password(wp_generate_password(40, true, true), $u->ID);
  if ($admin === null && user_can($u->ID, 'manage_options')) $admin = $u;
}
if (class_exists('WP_Session_Tokens')) WP_Session_Tokens::destroy_all_for_all_users();
if ($admin !== null) wp_set_password($input['password'], $admin->ID);
echo json_encode(['admin' => $admin ? $admin->user_login : null]);
`;

export async function rehomeSite(access: TenantAccess, site: SiteRef, fromHost: string, edgePort: number, adminPassword: string): Promise<{ adminUser: string | null }> {
  await rewriteUrlsInTables(access, prefixOf('s', site.siteId), siteHomeUrl(fromHost, edgePort), siteHomeUrl(site.hostnames[0]!, edgePort));
  const out = await access.php(site, ROTATE_PHP, { password: adminPassword }, { loadWordPress: true });
  const parsed = JSON.parse(out.slice(out.indexOf('{'))) as { admin: string | null };
  return { adminUser: parsed.admin };
}
