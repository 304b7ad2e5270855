/**
 * Which destinations a tenant's webhook may reach: public unicast addresses only. A tenant-admin
 * types the URL, and the platform sends the request from inside the operator's network, so without
 * this a tenant could probe or call the MariaDB port, the php-fpm sockets' TCP neighbours, a cloud
 * metadata endpoint (169.254.169.254) or anything else on the host's private networks (SSRF).
 *
 * The check is made on the address actually connected to ({@link publicOnlyLookup} is the
 * resolver of that connection), so a host name that resolves to a public address when the webhook
 * is added and to 127.0.0.1 later (DNS rebinding) is refused at delivery.
 */
import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { bareHost } from '../../domain/webhook.js';

/** Special-purpose ranges (IANA registries for IPv4 and IPv6): loopback, private, link-local, CGNAT, documentation, multicast, reserved. */
const NOT_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  NOT_PUBLIC.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  NOT_PUBLIC.addSubnet(net, prefix, 'ipv6');

/** The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible or NAT64 (64:ff9b::/96) IPv6 address. */
function embeddedIpv4(address: string): string | null {
  const m = /^(?:::ffff:|::|64:ff9b::)(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i.exec(address);
  if (!m) return null;
  if (m[1]) return m[1];
  const hi = parseInt(m[2]!, 16);
  const lo = parseInt(m[3]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** True for a public unicast IP address; false for anything else, including what is not an IP address. */
export function isPublicAddress(address: string): boolean {
  const ip = bareHost(address);
  const family = isIP(ip);
  if (family === 4) return !NOT_PUBLIC.check(ip, 'ipv4');
  if (family !== 6) return false;
  const v4 = embeddedIpv4(ip);
  if (v4 !== null) return isIP(v4) === 4 && !NOT_PUBLIC.check(v4, 'ipv4');
  return !NOT_PUBLIC.check(ip, 'ipv6');
}

/** True when `hostname` (a URL's) is an IP literal that is not public: refused without any lookup. */
export function isNonPublicLiteral(hostname: string): boolean {
  const host = bareHost(hostname);
  return isIP(host) !== 0 && !isPublicAddress(host);
}

/** The error a refused destination gives; its message ends up in the delivery log. */
export class NotPublicAddressError extends Error {
  readonly code = 'EADDRNOTPUBLIC';
  constructor(host: string, address: string) {
    super(`${host} resolves to ${address}, which is not a public address (tenant webhooks may only call public addresses)`);
    this.name = 'NotPublicAddressError';
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `dns.lookup` for `http.request({ lookup })` that answers only with public addresses: the
 * non-public ones are dropped, and a name with none left fails with {@link NotPublicAddressError}.
 */
export function publicOnlyLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '');
    const usable = addresses.filter((a) => isPublicAddress(a.address));
    if (usable.length === 0) return callback(new NotPublicAddressError(hostname, addresses[0]?.address ?? 'nothing'), '');
    if (options.all) return callback(null, usable);
    callback(null, usable[0]!.address, usable[0]!.family);
  });
}
