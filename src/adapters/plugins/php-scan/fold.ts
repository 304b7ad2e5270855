/**
 * Constant folding of PHP's string functions, so a name assembled at run time is known to the
 * scanner: `implode('', ['sys', 'tem'])`, `str_replace('x', '', 'sxyxsxtxexm')`, `sprintf('%s%s',
 * 'sys', 'tem')`, `strrev('metsys')`, `base64_decode('c3lzdGVt')`, `gzinflate(...)`, `chr(115) . …`.
 * Strings are handled as byte strings (latin1), as PHP does.
 */
import { gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { DECODERS } from './catalog.js';
import { derived, lit, OPAQUE, single, type Val } from './value.js';

const MAX_OUT = 10_000;
const bytes = (s: string) => Buffer.from(s, 'latin1');
const str = (b: Buffer) => b.subarray(0, MAX_OUT).toString('latin1');

function phpTrim(s: string, chars = ' \t\n\r\0\x0B', side: 'both' | 'l' | 'r' = 'both'): string {
  const set = new Set(chars.replace(/(.)\.\.(.)/g, (_m, a: string, b: string) => {
    let out = '';
    for (let c = a.charCodeAt(0); c <= b.charCodeAt(0); c++) out += String.fromCharCode(c);
    return out;
  }));
  let i = 0;
  let j = s.length;
  if (side !== 'r') while (i < j && set.has(s[i])) i++;
  if (side !== 'l') while (j > i && set.has(s[j - 1])) j--;
  return s.slice(i, j);
}

function replaceAll(subject: string, search: string[], replace: string[] | string, ci: boolean): string {
  let out = subject;
  search.forEach((needle, i) => {
    if (!needle) return;
    const rep = typeof replace === 'string' ? replace : (replace[i] ?? '');
    const re = new RegExp(needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), ci ? 'gi' : 'g');
    out = out.replace(re, () => rep).slice(0, MAX_OUT);
  });
  return out;
}

function sprintf(format: string, args: string[]): string {
  let next = 0;
  return format.replace(/%(?:(\d+)\$)?[-+ 0]*(?:'.)?\d*(?:\.\d+)?([%bcdeEfFgGosuxX])/g, (_m, pos: string | undefined, conv: string) => {
    if (conv === '%') return '%';
    const a = args[pos ? Number(pos) - 1 : next++] ?? '';
    switch (conv) {
      case 'c': return String.fromCharCode(Number(a) & 255);
      case 'd': case 'u': return String(Math.trunc(Number(a) || 0));
      case 'x': return (Math.trunc(Number(a) || 0) >>> 0).toString(16);
      case 'X': return (Math.trunc(Number(a) || 0) >>> 0).toString(16).toUpperCase();
      case 'o': return (Math.trunc(Number(a) || 0) >>> 0).toString(8);
      default: return a;
    }
  }).slice(0, MAX_OUT);
}

function rot13(s: string): string {
  return s.replace(/[a-zA-Z]/g, (c) => {
    const base = c <= 'Z' ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
  });
}

function tryDecode(f: () => string): string | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

/** Array elements as strings, when every one is a single known string. */
function knownList(v: Val): string[] | undefined {
  if (!v.items) return single(v) !== undefined ? [single(v)!] : undefined;
  const out: string[] = [];
  for (const item of v.items.values()) {
    const s = single(item);
    if (s === undefined) return undefined;
    out.push(s);
  }
  return out;
}

type Folder = (a: string[]) => string | undefined;

/** Functions of strings only, folded over every combination of known arguments. */
const SCALAR: Record<string, Folder> = {
  strrev: ([s]) => [...s].reverse().join(''),
  str_rot13: ([s]) => rot13(s),
  strtolower: ([s]) => s.toLowerCase(),
  strtoupper: ([s]) => s.toUpperCase(),
  ucfirst: ([s]) => s.charAt(0).toUpperCase() + s.slice(1),
  lcfirst: ([s]) => s.charAt(0).toLowerCase() + s.slice(1),
  ucwords: ([s]) => s.replace(/(^|\s)(\S)/g, (_m, a: string, b: string) => a + b.toUpperCase()),
  trim: ([s, c]) => phpTrim(s, c),
  ltrim: ([s, c]) => phpTrim(s, c, 'l'),
  rtrim: ([s, c]) => phpTrim(s, c, 'r'),
  chop: ([s, c]) => phpTrim(s, c, 'r'),
  strval: ([s]) => s,
  stripslashes: ([s]) => s.replace(/\\(.?)/g, '$1'),
  chr: ([n]) => String.fromCharCode(((Math.trunc(Number(n)) % 256) + 256) % 256),
  str_repeat: ([s, n]) => s.repeat(Math.max(0, Math.min(Number(n) || 0, Math.ceil(MAX_OUT / Math.max(1, s.length))))).slice(0, MAX_OUT),
  substr: ([s, start, len]) => {
    const b = Number(start) || 0;
    const from = b < 0 ? Math.max(0, s.length + b) : b;
    if (len === undefined) return s.slice(from);
    const l = Number(len) || 0;
    return l < 0 ? s.slice(from, s.length + l) : s.slice(from, from + l);
  },
  base64_decode: ([s]) => str(Buffer.from(s.replace(/[^A-Za-z0-9+/=_-]/g, ''), 'base64')),
  hex2bin: ([s]) => (/^([0-9a-fA-F]{2})*$/.test(s) ? str(Buffer.from(s, 'hex')) : undefined),
  urldecode: ([s]) => tryDecode(() => decodeURIComponent(s.replace(/\+/g, ' '))),
  rawurldecode: ([s]) => tryDecode(() => decodeURIComponent(s)),
  gzinflate: ([s]) => tryDecode(() => str(inflateRawSync(bytes(s), { maxOutputLength: MAX_OUT }))),
  gzuncompress: ([s]) => tryDecode(() => str(inflateSync(bytes(s), { maxOutputLength: MAX_OUT }))),
  gzdecode: ([s]) => tryDecode(() => str(gunzipSync(bytes(s), { maxOutputLength: MAX_OUT }))),
  pack: ([f, s]) => (/^H\*?$/.test(f) && /^([0-9a-fA-F]{2})*$/.test(s) ? str(Buffer.from(s, 'hex')) : undefined),
  strtr: ([s, from, to]) => {
    if (to === undefined) return undefined;
    const n = Math.min(from.length, to.length);
    return [...s].map((c) => { const i = from.slice(0, n).indexOf(c); return i >= 0 ? to[i] : c; }).join('');
  },
};

/** Builders whose arguments include arrays. */
function foldArrayBuilder(name: string, args: Val[]): string | undefined {
  if (name === 'implode' || name === 'join') {
    const [a, b] = args;
    const list = knownList(b?.items ? b : a);
    const sep = b?.items ? single(a) : b ? single(b) : '';
    return list && sep !== undefined ? list.join(sep) : undefined;
  }
  if (name === 'str_replace' || name === 'str_ireplace') {
    const [search, replace, subject] = args.map(knownList);
    const subj = subject && subject.length === 1 ? subject[0] : undefined;
    if (!search || !replace || subj === undefined) return undefined;
    return replaceAll(subj, search, args[1].items ? replace : (replace[0] ?? ''), name === 'str_ireplace');
  }
  if (name === 'sprintf' || name === 'vsprintf') {
    const format = single(args[0] ?? OPAQUE);
    const rest = name === 'vsprintf' ? knownList(args[1] ?? OPAQUE) : args.slice(1).map(single);
    return format !== undefined && rest && rest.every((x) => x !== undefined) ? sprintf(format, rest as string[]) : undefined;
  }
  if (name === 'strtr' && args.length === 2 && args[1].items) {
    const s = single(args[0]);
    if (s === undefined) return undefined;
    const pairs = [...args[1].items].map(([k, v]) => [k, single(v)] as const);
    if (pairs.some(([, v]) => v === undefined)) return undefined;
    return replaceAll(s, pairs.map(([k]) => k), pairs.map(([, v]) => v!), false);
  }
  return undefined;
}

function combos(args: Val[]): string[][] | undefined {
  let out: string[][] = [[]];
  for (const a of args) {
    if (a.open || a.items || !a.strs.length) return undefined;
    out = out.flatMap((prefix) => a.strs.map((s) => [...prefix, s]));
    if (out.length > 16) return undefined;
  }
  return out;
}

/** `preg_replace()` with known pattern, replacement and subject, for patterns JavaScript reads the same way. */
export function foldPregReplace(args: Val[]): Val | undefined {
  const [pattern, replacement, subject] = args.map((a) => (a ? single(a) : undefined));
  if (pattern === undefined || replacement === undefined || subject === undefined) return undefined;
  const m = /^([^A-Za-z0-9\\\s])(.*)\1([imsu]*)$/s.exec(pattern);
  if (!m) return undefined;
  try {
    const re = new RegExp(m[2], `${m[3].replace('u', '')}g`);
    return derived(args, [subject.replace(re, replacement.replace(/\\(\d)/g, '$$$1')).slice(0, MAX_OUT)], { built: 'preg_replace()' });
  } catch {
    return undefined;
  }
}

export const FOLDABLE = new Set([...Object.keys(SCALAR), 'implode', 'join', 'str_replace', 'str_ireplace', 'sprintf', 'vsprintf', 'explode', 'str_split', 'array_reverse', 'array_values']);

/** Folds a call of a known string function; undefined for other functions. */
export function foldCall(name: string, args: Val[]): Val | undefined {
  if (!FOLDABLE.has(name)) return undefined;
  const how = DECODERS.has(name) ? { decoded: `${name}()` } : { built: `${name}()` };
  if (name === 'explode' || name === 'str_split') {
    const [a, b] = args.map((v) => (v ? single(v) : undefined));
    if (a === undefined || (name === 'explode' && (b === undefined || a === ''))) return { ...derived(args, undefined, how), items: undefined };
    const parts = name === 'explode' ? b!.split(a) : (a.match(new RegExp(`[^]{1,${Math.max(1, Number(b ?? 1) || 1)}}`, 'g')) ?? []);
    return { ...derived(args, undefined, how), items: new Map(parts.slice(0, 64).map((p, i) => [String(i), lit(p)])) };
  }
  if (name === 'array_reverse' || name === 'array_values') {
    const items = args[0]?.items;
    if (!items) return args[0] ?? OPAQUE;
    const vals = [...items.values()];
    return { ...args[0], items: new Map((name === 'array_reverse' ? vals.reverse() : vals).map((v, i) => [String(i), v])) };
  }
  const scalar = SCALAR[name];
  let strs: string[] | undefined;
  if (scalar && !(name === 'strtr' && args[1]?.items)) {
    const cs = combos(args);
    const results = cs?.map(scalar);
    strs = results && results.every((r) => r !== undefined) ? (results as string[]) : undefined;
  } else {
    const r = foldArrayBuilder(name, args);
    strs = r === undefined ? undefined : [r];
  }
  const out = derived(args, strs, how);
  return name === 'chr' ? { ...out, chrs: 1 } : out;
}
