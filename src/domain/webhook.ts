/**
 * Webhook subscriptions as data: which notification types exist, and what makes a subscription's
 * URL and types acceptable. Pure rules, shared by the HTTP routes and every subscriptions adapter;
 * what needs the network (is this address public?) stays in the adapter that connects.
 */
import { BbwsError } from './errors.js';
import { NOTIFICATION_TYPES, type NotificationType } from './notification.js';

export const MAX_WEBHOOK_URL_LENGTH = 2048;

/**
 * Checks a webhook URL: absolute http(s), no user or password (they would be stored and listed as
 * plain text; receivers authenticate us by the signature instead), at most 2048 characters.
 * Throws VALIDATION_FAILED. The URL is stored and called exactly as given.
 */
export function validateWebhookUrl(value: unknown): URL {
  const fail = (problem: string) => new BbwsError('VALIDATION_FAILED', `Webhook URL ${problem}.`, { field: 'url' });
  if (typeof value !== 'string' || value.length === 0) throw fail('is required');
  if (value.length > MAX_WEBHOOK_URL_LENGTH) throw fail(`is longer than ${MAX_WEBHOOK_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw fail('is not an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw fail('must use http or https');
  if (url.username || url.password) throw fail('must not contain credentials');
  if (!url.hostname) throw fail('has no host');
  return url;
}

/** A subscription's types: a list of known types without repeats; absent means every type (`[]`). */
export function normalizeNotificationTypes(types: unknown): NotificationType[] {
  if (types === undefined || types === null) return [];
  if (!Array.isArray(types)) throw new BbwsError('VALIDATION_FAILED', 'types must be a list.', { field: 'types' });
  for (const t of types) {
    if (!(NOTIFICATION_TYPES as readonly unknown[]).includes(t)) {
      throw new BbwsError('VALIDATION_FAILED', `Unknown notification type; expected one of ${NOTIFICATION_TYPES.join(', ')}.`, { field: 'types', value: String(t).slice(0, 64) });
    }
  }
  return [...new Set(types as NotificationType[])];
}

/**
 * A URL's host name without the brackets of an IPv6 literal or the trailing dot of a fully
 * qualified name, lower case: `localhost.` and `Foo.LOCALHOST.` are `localhost` and
 * `foo.localhost`, which is how the resolver treats them.
 */
export function bareHost(hostname: string): string {
  return hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.+$/, '').toLowerCase();
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '0.0.0.0', '::']);

/** `localhost`, `*.localhost`, 127.x and the unspecified addresses: names of this very host. */
export function isLoopbackHost(hostname: string): boolean {
  const host = bareHost(hostname);
  return LOOPBACK_HOSTS.has(host) || host.endsWith('.localhost') || host.startsWith('127.');
}

/**
 * The one SSRF rule the API enforces (docs/webhooks.md): a tenant-admin may not point a webhook at
 * the API serving the request (`apiPort` on `apiHost` or on a loopback name), which would let a
 * tenant make the platform call itself. Throws VALIDATION_FAILED.
 */
export function assertNotOwnApi(url: URL, apiPort: number, apiHost: string): void {
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = bareHost(url.hostname);
  if (port === apiPort && (isLoopbackHost(host) || host === bareHost(apiHost.replace(/:\d+$/, '')))) {
    throw new BbwsError('VALIDATION_FAILED', 'A webhook must not target the platform API.', { field: 'url' });
  }
}
