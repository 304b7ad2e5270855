/**
 * Plugin versions: comparison and version specs for the blocklist and the vulnerability feed.
 * PURE. WordPress plugin versions are "semver-ish" (`2.3`, `2.3.1`, `5.3.2-beta1`, `9.1.1.1`), so
 * comparison is per dot-separated number, any length, with a pre-release (`-…`) below its release.
 */

/** Compares two versions: negative when a < b, 0 when equal, positive when a > b. */
export function compareVersions(a: string, b: string): number {
  const split = (v: string) => {
    const noBuild = v.trim().replace(/^v/i, '').split('+')[0];
    const dash = noBuild.indexOf('-');
    return { main: (dash < 0 ? noBuild : noBuild.slice(0, dash)).split('.'), pre: dash < 0 ? undefined : noBuild.slice(dash + 1) };
  };
  const pa = split(a);
  const pb = split(b);
  for (let i = 0; i < Math.max(pa.main.length, pb.main.length); i++) {
    const c = comparePart(pa.main[i] ?? '0', pb.main[i] ?? '0');
    if (c !== 0) return c;
  }
  if (pa.pre === undefined || pb.pre === undefined) return pa.pre === pb.pre ? 0 : pa.pre === undefined ? 1 : -1;
  const xa = pa.pre.split('.');
  const xb = pb.pre.split('.');
  for (let i = 0; i < Math.max(xa.length, xb.length); i++) {
    if (xa[i] === undefined) return -1;
    if (xb[i] === undefined) return 1;
    const c = comparePart(xa[i], xb[i]);
    if (c !== 0) return c;
  }
  return 0;
}

function comparePart(a: string, b: string): number {
  const na = /^\d+$/.test(a);
  const nb = /^\d+$/.test(b);
  if (na && nb) {
    // Compare as digit strings so `10000000000000000001` does not round.
    const x = a.replace(/^0+(?=\d)/, '');
    const y = b.replace(/^0+(?=\d)/, '');
    return x.length !== y.length ? x.length - y.length : x < y ? -1 : x > y ? 1 : 0;
  }
  if (na !== nb) return na ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

const COMPARATOR = /^(<=|>=|<|>|=)?\s*([0-9A-Za-z.+-]{1,32})$/;

/**
 * Is `spec` a valid version spec? `*`, an exact version (`2.3.1`), a comparator (`<=2.3.1`,
 * `<2.0`, `>=9.0.0`) or several comparators separated by spaces, all of which must hold
 * (`>=9.0.0 <=9.1.1.1`).
 */
export function isVersionSpec(spec: string): boolean {
  if (spec === '*') return true;
  const parts = spec.trim().split(/\s+/);
  return parts.length > 0 && parts.length <= 4 && parts.every((p) => COMPARATOR.test(p));
}

/** Does `version` satisfy one spec (see {@link isVersionSpec})? An invalid spec matches nothing. */
export function matchesVersionSpec(version: string, spec: string): boolean {
  if (spec === '*') return true;
  if (!isVersionSpec(spec)) return false;
  return spec
    .trim()
    .split(/\s+/)
    .every((part) => {
      const [, op = '=', v] = COMPARATOR.exec(part)!;
      const c = compareVersions(version, v);
      if (op === '=') return c === 0;
      if (op === '<') return c < 0;
      if (op === '<=') return c <= 0;
      if (op === '>') return c > 0;
      return c >= 0;
    });
}

/** Does `version` match `versions`: `'*'` (every version) or any of a list of specs? */
export function matchesVersions(version: string, versions: string[] | '*'): boolean {
  return versions === '*' || versions.some((s) => matchesVersionSpec(version, s));
}
