/**
 * Signs of hidden code that need no data flow: long encoded blobs, strings written as escapes, the
 * `/e` modifier of a regular expression.
 */
import { SUSPICIOUS_NAMES } from './catalog.js';

/** Base64 prefixes of file formats plugins legitimately embed (PNG, JPEG, GIF, WebP, WOFF, WOFF2, TTF, SVG, `<?xml`, PDF). */
const EMBEDDED_MEDIA = /^(iVBORw0KGgo|\/9j\/|R0lGOD|UklGR|d09GRg|d09GMg|AAEAAAA|PHN2Zy|PD94bWwg|JVBERi0)/;

/** Findings for one string literal: `value` as PHP decodes it, `raw` as written. */
export function stringFindings(value: string, raw: string, doubleQuoted: boolean): string[] {
  const out: string[] = [];
  const v = value;
  if (v.length > 1000 && /^[A-Za-z0-9+/=\s]+$/.test(v) && /[A-Za-z]/.test(v) && !/^[0-9A-Fa-f\s]+$/.test(v) && !EMBEDDED_MEDIA.test(v.trimStart())) {
    out.push(`a ${v.length}-character base64 blob`);
  } else if (v.length > 1000 && /^[0-9A-Fa-f\s]+$/.test(v)) {
    out.push(`a ${v.length}-character hex blob`);
  }
  if (!doubleQuoted) return out;
  const escapes = (raw.match(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|u\{[0-9a-fA-F]+\})/g) ?? []).length;
  if (escapes >= 24 && escapes >= v.length * 0.6) out.push(`a string of ${escapes} \\x/octal escapes`);
  else if (escapes > 0 && SUSPICIOUS_NAMES.has(v.toLowerCase())) out.push(`the name ${v.toLowerCase()} hidden in escape sequences`);
  return out;
}

/** `/…/e` (preg_replace's evaluate modifier, removed in PHP 7 but still seen in web shells). */
export function hasEvalModifier(pattern: string): boolean {
  const p = pattern.trimStart();
  if (p.length < 2 || /[A-Za-z0-9\\\s]/.test(p[0])) return false;
  const closing = ({ '(': ')', '{': '}', '[': ']', '<': '>' } as Record<string, string>)[p[0]] ?? p[0];
  const end = p.lastIndexOf(closing);
  return end > 0 && /^[a-zA-Z]*$/.test(p.slice(end + 1).trim()) && p.slice(end + 1).includes('e');
}
