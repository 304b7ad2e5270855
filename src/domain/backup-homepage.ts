/**
 * Judging the homepage of a restored backup (docs/backups.md "Verify"): which sites are served,
 * the `<title>` read from the HTML, and whether the answer is the one WordPress gives for the
 * site as it was backed up. No I/O: the scratch route and the request are the adapter's
 * (adapters/backup/scratch-serve.ts).
 */
import type { BackupRecord, HomepageCheck } from './backup.js';

/** The sites whose homepage verify fetches: a site backup's site, a tenant's sites, else its default install. */
export function homepageTargets(record: Pick<BackupRecord, 'scope' | 'siteId' | 'sites'>): Array<string | null> {
  if (record.scope === 'platform') return [];
  if (record.scope === 'site') return record.siteId ? [record.siteId] : [];
  return record.sites.length ? record.sites.map((s) => s.siteId) : [null];
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', hellip: '…', ndash: '–', mdash: '—', lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', laquo: '«', raquo: '»', middot: '·', bull: '•' };

/** HTML character references decoded: numeric ones and the named ones WordPress's esc_html/wptexturize emit. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,8});/gi, (all, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1));
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : all;
    }
    return NAMED[ref.toLowerCase()] ?? all;
  });
}

/** The document's first `<title>`, entities decoded and white space collapsed; null when it has none. */
export function documentTitle(html: string): string | null {
  const m = /<title\b[^>]*>([\s\S]*?)<\/title\s*>/i.exec(html);
  return m ? decodeEntities(m[1]!).replace(/\s+/g, ' ').trim() : null;
}

/**
 * What WordPress does to a site name on its way into `<title>` (wptexturize: typographic quotes
 * and dashes; capital_P_dangit), undone on both sides, so "Bob's site" matches "Bob’s site".
 */
function comparable(text: string): string {
  return text
    .replace(/[‘’‚′]/g, "'")
    .replace(/[“”„″]/g, '"')
    .replace(/[–—]/g, '-')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

/**
 * True when the served title is the recorded site name, alone or followed by WordPress's
 * separator and the rest (`Name – Tagline`, `Page | Name` is not the homepage and does not match).
 */
export function titleMatches(served: string, recorded: string): boolean {
  const s = comparable(served);
  const r = comparable(recorded);
  if (r === '') return true;
  return s === r || (s.startsWith(r) && /^\s*[-|·:•»«]\s/.test(s.slice(r.length)));
}

export interface HomepageAnswer {
  status: number;
  location: string | null;
  /** The scratch copy's own marker header came back: the restored copy answered, not the live site. */
  fromScratchCopy: boolean;
  title: string | null;
  error: string | null;
}

/**
 * A site's homepage must answer 200 with the recorded title; a default install that was never
 * installed answers WordPress's 302 to `/wp-admin/install.php` (what the readiness probe accepts).
 */
export function judgeHomepage(siteId: string | null, answer: HomepageAnswer, expectedTitle: string | null | undefined, ms: number): HomepageCheck {
  const base = { siteId, status: answer.status, title: answer.title, expectedTitle: expectedTitle ?? null, ms: Math.round(ms) };
  const fail = (note: string): HomepageCheck => ({ ...base, ok: false, note });
  if (answer.error) return fail(`no answer: ${answer.error}`);
  if (!answer.fromScratchCopy) return fail(`answered ${answer.status}, but not by the restored copy (no scratch marker)`);
  const installer = answer.status === 302 && /\/wp-admin\/install\.php$/.test((answer.location ?? '').replace(/\?.*$/, ''));
  if (installer && siteId === null) return { ...base, ok: true, note: 'not installed: 302 to /wp-admin/install.php' };
  if (answer.status !== 200) return fail(`answered ${answer.status}${answer.location ? ` (Location: ${answer.location.slice(0, 200)})` : ''}, not 200`);
  if (expectedTitle === undefined) return { ...base, ok: true, note: 'title not recorded at backup time (older backup): only the 200 was checked' };
  if (expectedTitle === null) return { ...base, ok: true, note: 'the site had no title at backup time: only the 200 was checked' };
  if (answer.title === null) return fail(`answered 200 without a <title> (expected "${expectedTitle}")`);
  if (!titleMatches(answer.title, expectedTitle)) return fail(`title "${answer.title}" is not the recorded "${expectedTitle}"`);
  return { ...base, ok: true, note: null };
}

/** One line per failed homepage, naming the site: the verify error's part. */
export function describeHomepageFailures(checks: readonly HomepageCheck[]): string[] {
  return checks.filter((c) => !c.ok).map((c) => `homepage of ${c.siteId ? `site ${c.siteId}` : 'the default install'}: ${c.note ?? 'failed'}`);
}
