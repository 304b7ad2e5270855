/**
 * The benches' site fixture (clone/promote and backup): WordPress installed on a site, `posts`
 * published posts whose content and meta link to the site's own URLs (what a clone rewrites), and
 * `megabytes` MiB of random uploads owned by the tenant.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { LocalTenantAccess } from '../../src/adapters/wordpress/local/create-tenant-access.js';
import type { SiteRef } from '../../src/ports/wordpress.js';

export const INSTALL_WORDPRESS = `define('WP_INSTALLING', true); require_once ABSPATH . 'wp-load.php'; require_once ABSPATH . 'wp-admin/includes/upgrade.php';
      wp_install('Bench', 'admin', 'admin@example.com', true, '', 'pw-123456789');`;

export async function fillBenchSite(access: LocalTenantAccess, site: SiteRef, o: { posts: number; megabytes: number }): Promise<void> {
  await access.php(site, INSTALL_WORDPRESS);
  await access.php(
    site,
    `wp_defer_term_counting(true); wp_suspend_cache_addition(true);
       for ($i = 0; $i < $input['posts']; $i++) {
         $id = wp_insert_post(['post_title' => "Post $i", 'post_status' => 'publish', 'post_content' => str_repeat('<p>Lorem ipsum dolor sit amet, ü ✓. </p>', 20) . '<a href="' . home_url("/post-$i/") . '">self</a>']);
         update_post_meta($id, 'bbws_layout', ['link' => home_url("/post-$i/"), 'blocks' => [['img' => home_url("/wp-content/uploads/$i.jpg")]]]);
       }`,
    { posts: o.posts },
    { loadWordPress: true, timeoutMs: 600_000 },
  );
  const uploads = access.uploadsDir(site.siteId);
  await mkdir(join(uploads, '2024', '01'), { recursive: true });
  for (let i = 0; i < o.megabytes; i++) await writeFile(join(uploads, '2024', '01', `file-${i}.bin`), randomBytes(1024 * 1024));
  await access.chownToTenant(dirname(uploads)); // uploads/sites too: WordPress would have created it as the tenant
}
