/**
 * The abstract values the scanner computes for PHP expressions: which strings a value may be (so
 * `'sys' . 'tem'` is known to be `system`), what is known of the rest (a constant prefix or suffix),
 * and where it came from (request input, a decoder, a string builder, a parameter of the function
 * being summarised). Values are immutable; {@link join} merges the two sides of a branch.
 */

export interface Val {
  /** Strings this value may be (lowercase is not applied: PHP strings are case-sensitive). */
  readonly strs: readonly string[];
  /** True when it may also be something not in `strs`. */
  readonly open: boolean;
  /** What is known of the open part: a constant prefix and suffix. */
  readonly prefix?: string;
  readonly suffix?: string;
  /** Request input reaches this value: the source as written (`$_GET['c']`). */
  readonly taint?: string;
  /** The taint went through basename()/sanitize_file_name(): it cannot leave a directory. */
  readonly pathSafe?: boolean;
  /** Produced by a decoder from data not known here: the decoder's name. */
  readonly decoded?: string;
  /** A string computed at run time from pieces not all known: how (`implode()`, `concatenation`). */
  readonly built?: string;
  /** Went through a decoder or builder even though the result is known (for obfuscation findings). */
  readonly assembled?: string;
  /** Parameters (by index) of the function being summarised that flow into this value. */
  readonly params?: readonly number[];
  /** Known array elements by key. */
  readonly items?: ReadonlyMap<string, Val>;
  /** A closure or arrow function: the key of its summary. */
  readonly closure?: string;
  /** An object of this class (lowercase). */
  readonly cls?: string;
  /** For Reflection objects: what they reflect. */
  readonly target?: Val;
  /** Request input that `method_exists($obj, $m)` proved is a method name: still input for a plain call. */
  readonly methodGuard?: string;
  /** Read from the database, a file or unserialize(): data anyone who can write there chooses. */
  readonly stored?: string;
  /** A path in a directory the site can write (uploads, temp): the function it came from. */
  readonly writable?: string;
  /** Number of `chr()` calls concatenated into this value. */
  readonly chrs?: number;
}

const MAX_STRS = 16;
const MAX_LEN = 10_000;

export const OPAQUE: Val = Object.freeze({ strs: [], open: true });
/** A number, boolean or hash: nothing a caller can steer into a name. */
export const CLEAN: Val = OPAQUE;

export const lit = (s: string): Val => ({ strs: [s.length > MAX_LEN ? s.slice(0, MAX_LEN) : s], open: false });

export const single = (v: Val): string | undefined => (!v.open && v.strs.length === 1 ? v.strs[0] : undefined);

function commonPrefix(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return a.slice(0, i);
}
const commonSuffix = (a: string, b: string) => [...commonPrefix([...a].reverse().join(''), [...b].reverse().join(''))].reverse().join('');

/** The known prefix of everything this value may be. */
export function prefixOf(v: Val): string {
  const all = [...v.strs, ...(v.open ? [v.prefix ?? ''] : [])];
  return all.length ? all.reduce(commonPrefix) : '';
}
export function suffixOf(v: Val): string {
  const all = [...v.strs, ...(v.open ? [v.suffix ?? ''] : [])];
  return all.length ? all.reduce(commonSuffix) : '';
}

const unionParams = (a?: readonly number[], b?: readonly number[]) => (a || b ? [...new Set([...(a ?? []), ...(b ?? [])])] : undefined);

/** The facts that travel with data whatever is done to it (taint, decoding, parameters). */
export function carry(...vals: Val[]): Partial<Val> {
  const out: { -readonly [K in keyof Val]?: Val[K] } = {};
  for (const v of vals) {
    if (v.taint && !out.taint) {
      out.taint = v.taint;
      out.pathSafe = v.pathSafe;
    } else if (v.taint && !v.pathSafe) out.pathSafe = false;
    out.decoded ??= v.decoded;
    out.built ??= v.built;
    out.assembled ??= v.assembled;
    out.writable ??= v.writable;
    out.stored ??= v.stored;
    out.methodGuard ??= v.methodGuard;
    out.params = unionParams(out.params, v.params);
  }
  if (!out.params) delete out.params;
  return out;
}

/** Either value (the two sides of a branch, two assignments, the elements of an array). */
export function join(a: Val, b: Val): Val {
  if (a === b) return a;
  const strs = [...new Set([...a.strs, ...b.strs])];
  const tooMany = strs.length > MAX_STRS;
  const open = a.open || b.open || tooMany;
  const out: { -readonly [K in keyof Val]?: Val[K] } = { ...carry(a, b), strs: tooMany ? [] : strs, open };
  if (open) {
    const sides = [a, b].filter((v) => v.open);
    out.prefix = tooMany ? commonPrefix(prefixOf(a), prefixOf(b)) : sides.map((v) => v.prefix ?? '').reduce(commonPrefix);
    out.suffix = tooMany ? commonSuffix(suffixOf(a), suffixOf(b)) : sides.map((v) => v.suffix ?? '').reduce(commonSuffix);
    if (!out.prefix) delete out.prefix;
    if (!out.suffix) delete out.suffix;
  }
  if (a.items && b.items) {
    const items = new Map(a.items);
    for (const [k, v] of b.items) items.set(k, items.has(k) ? join(items.get(k)!, v) : v);
    out.items = items;
  } else if (a.items || b.items) out.items = a.items ?? b.items;
  if (a.closure && a.closure === b.closure) out.closure = a.closure;
  else if (a.closure || b.closure) out.closure = a.closure ?? b.closure;
  if (a.cls === b.cls && a.cls) out.cls = a.cls;
  if (a.target || b.target) out.target = a.target && b.target ? join(a.target, b.target) : (a.target ?? b.target);
  return out as Val;
}

export const joinAll = (vals: Val[]): Val => (vals.length ? vals.reduce(join) : OPAQUE);

/** `a . b`, folded when both are known. */
export function concat(a: Val, b: Val): Val {
  const facts = carry(a, b);
  const chrs = (a.chrs ?? 0) + (b.chrs ?? 0) || undefined;
  if (!a.open && !b.open && a.strs.length * b.strs.length <= MAX_STRS && a.strs.length && b.strs.length) {
    const strs = a.strs.flatMap((x) => b.strs.map((y) => (x + y).slice(0, MAX_LEN)));
    return { ...facts, strs, open: false, chrs };
  }
  const prefix = single(a) !== undefined ? single(a)! + prefixOf(b) : prefixOf(a);
  const suffix = single(b) !== undefined ? suffixOf(a) + single(b)! : suffixOf(b);
  return { ...facts, built: facts.built ?? 'concatenation', strs: [], open: true, ...(prefix ? { prefix } : {}), ...(suffix ? { suffix } : {}), chrs };
}

/** The result of a string function: known strings if `fold` gave them, otherwise open with the inputs' facts. */
export function derived(inputs: Val[], strs: string[] | undefined, how?: { built?: string; decoded?: string }): Val {
  const facts = carry(...inputs);
  if (strs) return { ...facts, strs: strs.slice(0, MAX_STRS).map((s) => s.slice(0, MAX_LEN)), open: false, ...(how ? { assembled: how.decoded ?? how.built } : {}) };
  return {
    ...facts, strs: [], open: true,
    // Not folded (open input, or a form the folder does not know): the result is unknown but made.
    ...(how?.decoded ? { decoded: facts.decoded ?? how.decoded } : {}),
    ...(how?.built ? { built: facts.built ?? how.built } : {}),
  };
}

/** The same value with the request taint removed (after an allowlist check). */
export const untainted = (v: Val): Val => {
  const { taint: _t, pathSafe: _p, ...rest } = v;
  return rest;
};

/** Elements of an array (or the value itself when it is not a known array). */
export function elements(v: Val): Val {
  if (!v.items || v.items.size === 0) return v.items ? { ...carry(v), strs: [], open: true } : v;
  return { ...joinAll([...v.items.values()]), ...carry(v, ...v.items.values()) };
}

/** Lowercase function name without the leading backslash; undefined when it is not a plain name. */
export const fnName = (s: string): string => s.replace(/^\\+/, '').toLowerCase();

/** Can a string with this prefix and suffix be one of `names`? Returns the first such name. */
export function mayName(v: Val, names: Iterable<string>): string | undefined {
  for (const s of v.strs) if ([...names].includes(fnName(s))) return fnName(s);
  if (!v.open) return undefined;
  const p = fnName(v.prefix ?? '');
  const sfx = (v.suffix ?? '').toLowerCase();
  for (const n of names) if (n.startsWith(p) && n.endsWith(sfx)) return n;
  return undefined;
}
