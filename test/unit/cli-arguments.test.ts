/**
 * Pure parts of the CLI: `sites update`'s body from its options, and a listen's EADDRINUSE as one line.
 */
import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/api-client.js';
import { parseOptionAssignments, siteUpdateBody } from '../../src/cli/commands/sites.command.js';
import type { SiteView } from '../../src/cli/commands/site-views.js';
import { asPortError } from '../../src/cli/port-in-use.js';

const site = { siteId: 'abc', siteName: 'shop', status: 'ACTIVE', url: 'http://x', hostnames: ['shop.acme.wpdev.localhost', 'old.acme.wpdev.localhost'] } as SiteView;

describe('bbws sites update', () => {
  it('--option values: whole numbers, booleans, strings (with = inside)', () => {
    expect(parseOptionAssignments(['posts_per_page=5', 'blog_public=false', 'blogdescription=a=b c', 'date_format='])).toEqual({ posts_per_page: 5, blog_public: false, blogdescription: 'a=b c', date_format: '' });
    expect(() => parseOptionAssignments(['=x'])).toThrow(/key=value/);
    expect(() => parseOptionAssignments(['novalue'])).toThrow(CliError);
  });

  it('host names: the current ones plus and minus the given ones, the own name first and kept', () => {
    expect(siteUpdateBody(site, { addHost: ['New.acme.wpdev.localhost', 'shop.acme.wpdev.localhost'], removeHost: ['old.acme.wpdev.localhost'] })).toEqual({ hostnames: ['shop.acme.wpdev.localhost', 'new.acme.wpdev.localhost'] });
    expect(() => siteUpdateBody(site, { removeHost: ['shop.acme.wpdev.localhost'] })).toThrow(/own host name/);
    expect(() => siteUpdateBody(site, { removeHost: ['nope.acme.wpdev.localhost'] })).toThrow(/has no host name nope/);
    expect(() => siteUpdateBody(site, {})).toThrow(/Nothing to change/);
    expect(siteUpdateBody(site, { title: 'T' })).toEqual({ title: 'T' });
  });

  it('--cache on|off and --cache-ttl make the cache settings', () => {
    expect(siteUpdateBody(site, { cache: 'off' })).toEqual({ cache: { enabled: false } });
    expect(siteUpdateBody(site, { cache: 'on', cacheTtl: '120' })).toEqual({ cache: { enabled: true, ttlSeconds: 120 } });
    expect(() => siteUpdateBody(site, { cache: 'yes' })).toThrow(/--cache wants on or off/);
    expect(() => siteUpdateBody(site, { cacheTtl: '10m' })).toThrow(/--cache-ttl wants a number of seconds/);
  });
});

describe('a port in use', () => {
  it('an EADDRINUSE from the platform names the port and the option for it', () => {
    const err = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:1'), { code: 'EADDRINUSE', port: 1 });
    const mapped = asPortError(err, [{ port: 8080, flag: '--api-port' }, { port: 1, flag: '--edge-port' }]);
    expect(mapped).toBeInstanceOf(CliError);
    expect((mapped as Error).message).toMatch(/^Port 1 is in use.*pass --edge-port with a free port\.$/);
    const other = new Error('boom');
    expect(asPortError(other, [])).toBe(other);
  });
});
