/**
 * Dependencies of the site use cases: the app's ports plus the marketplaces, secrets, notifier and,
 * where sites are changed synchronously or by the processor, WordPress.
 */
import type { PluginMarketplace } from '../../ports/plugin-marketplace.js';
import type { Notifier } from '../../ports/notifier.js';
import type { WebhookSubscriptions } from '../../ports/webhook-subscriptions.js';
import type { Secrets } from '../../ports/secrets.js';
import type { TemplateCatalog } from '../../ports/template-catalog.js';
import type { WordPress } from '../../ports/wordpress.js';
import { BbwsError } from '../../domain/errors.js';
import type { AppDeps } from '../deps.js';
import type { BackupSettings } from '../backups/backup-settings.js';

export interface SiteDeps extends AppDeps {
  secrets: Secrets;
  templates: TemplateCatalog;
  marketplace: PluginMarketplace;
  /** Publishes what the outbox relay takes from the store (use cases commit `notify` writes instead). */
  notifier: Notifier;
  webhooks: WebhookSubscriptions;
  /** Absent in a process that does not run the runtime (e.g. `bbws api` alone). */
  wordpress: WordPress | null;
  /** Port of the edge, for the URLs shown to users. */
  edgePort: number;
  /** Backups (docs/backups.md); absent where a caller wires no backups (some tests). */
  backups?: BackupSettings;
}

/** The WordPress port, or RUNTIME_UNAVAILABLE in a process that does not run the runtime. */
export function wordpressOf(deps: SiteDeps): WordPress {
  if (!deps.wordpress) throw new BbwsError('RUNTIME_UNAVAILABLE');
  return deps.wordpress;
}

/** A site's URL on the edge for `hostname` (no port for port 80). */
export function siteUrl(deps: Pick<SiteDeps, 'edgePort'>, hostname: string): string {
  return deps.edgePort === 80 ? `http://${hostname}/` : `http://${hostname}:${deps.edgePort}/`;
}

/** Name of the secret holding a site's WordPress admin password. */
export function adminSecretName(deps: Pick<SiteDeps, 'env'>, tenantId: string, siteId: string): string {
  return `${deps.env}-${tenantId}-site-${siteId}-admin`;
}
