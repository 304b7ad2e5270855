import { describe, expect, it } from 'vitest';
import { decodeEntities, describeHomepageFailures, documentTitle, homepageTargets, judgeHomepage, titleMatches } from '../../src/domain/backup-homepage.js';

const answer = (over: Partial<Parameters<typeof judgeHomepage>[1]> = {}) => ({ status: 200, location: null, fromScratchCopy: true, title: 'Acme Backup', error: null, ...over });

describe('the homepage of a restored backup', () => {
  it('serves a site backup\'s site, each site of a tenant backup, else the default install', () => {
    expect(homepageTargets({ scope: 'site', siteId: 'abcdefghij', sites: [] })).toEqual(['abcdefghij']);
    expect(homepageTargets({ scope: 'tenant', siteId: null, sites: [{ siteId: 'a123456789', siteName: 'a', hostnames: [] }, { siteId: 'b123456789', siteName: 'b', hostnames: [] }] })).toEqual(['a123456789', 'b123456789']);
    expect(homepageTargets({ scope: 'tenant', siteId: null, sites: [] })).toEqual([null]);
    expect(homepageTargets({ scope: 'platform', siteId: null, sites: [] })).toEqual([]);
  });

  it('reads <title> as WordPress writes it (esc_html, wptexturize)', () => {
    expect(documentTitle('<html><head>\n<title>Bob&#8217;s &amp; Co &#8211; Just &quot;here&quot;</title></head>')).toBe('Bob’s & Co – Just "here"');
    expect(documentTitle('<TITLE data-x="1">\n  A\n  B </TITLE>')).toBe('A B');
    expect(documentTitle('<p>no title</p>')).toBeNull();
    expect(decodeEntities('&#x41;&unknown;&#0;')).toBe('A&unknown;&#0;');
  });

  it('matches the recorded name alone or before a separator and the tagline, not inside another title', () => {
    expect(titleMatches('Acme Backup', 'Acme Backup')).toBe(true);
    expect(titleMatches('Acme Backup – Just another site', 'Acme Backup')).toBe(true);
    expect(titleMatches('Bob’s site', "Bob's site")).toBe(true);
    expect(titleMatches('Acme Backupper', 'Acme Backup')).toBe(false);
    expect(titleMatches('Hello world! – Acme Backup', 'Acme Backup')).toBe(false);
    expect(titleMatches('Other', 'Acme Backup')).toBe(false);
  });

  it('judges: 200 with the title passes; a wrong title, an error status or an answer not from the copy fails, naming why', () => {
    expect(judgeHomepage('abcdefghij', answer(), 'Acme Backup', 12.4)).toMatchObject({ ok: true, status: 200, title: 'Acme Backup', expectedTitle: 'Acme Backup', ms: 12, note: null });
    expect(judgeHomepage('abcdefghij', answer({ title: 'Other' }), 'Acme Backup', 1)).toMatchObject({ ok: false, note: 'title "Other" is not the recorded "Acme Backup"' });
    expect(judgeHomepage('abcdefghij', answer({ status: 500, title: null }), 'Acme Backup', 1)).toMatchObject({ ok: false, note: 'answered 500, not 200' });
    expect(judgeHomepage('abcdefghij', answer({ fromScratchCopy: false }), 'Acme Backup', 1).ok).toBe(false);
    expect(judgeHomepage('abcdefghij', answer({ status: 0, error: 'ECONNREFUSED' }), 'Acme Backup', 1)).toMatchObject({ ok: false, note: 'no answer: ECONNREFUSED' });
    expect(judgeHomepage('abcdefghij', answer({ title: null }), 'Acme Backup', 1).ok).toBe(false);
  });

  it('an older backup without titles: the 200 alone, said so; a fresh default install: its 302 to the installer', () => {
    expect(judgeHomepage('abcdefghij', answer({ title: 'Anything' }), undefined, 1)).toMatchObject({ ok: true, expectedTitle: null, note: expect.stringContaining('title not recorded') });
    expect(judgeHomepage(null, answer({ status: 302, location: 'http://verify-x.bbws.invalid:8088/wp-admin/install.php', title: null }), null, 1)).toMatchObject({ ok: true, note: expect.stringContaining('not installed') });
    // A site must be installed: the installer redirect is a failure there.
    expect(judgeHomepage('abcdefghij', answer({ status: 302, location: '/wp-admin/install.php', title: null }), 'Acme', 1).ok).toBe(false);
  });

  it('failures are described per site', () => {
    const checks = [judgeHomepage('abcdefghij', answer({ status: 500 }), 'A', 1), judgeHomepage(null, answer(), 'Acme Backup', 1)];
    expect(describeHomepageFailures(checks)).toEqual(['homepage of site abcdefghij: answered 500, not 200']);
  });
});
