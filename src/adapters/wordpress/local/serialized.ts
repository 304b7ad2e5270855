/**
 * URL rewriting that is safe for PHP-serialized data. WordPress stores arrays and objects as
 * `serialize()` output, where every string carries its length in bytes (`s:<bytes>:"…";`). A
 * plain search-and-replace of a URL of a different length breaks that length and PHP's
 * `unserialize()` then returns false: the option silently vanishes (widgets, theme mods, page
 * builder layouts). So values that parse as serialized data are rewritten string by string and
 * re-serialized with the new byte lengths; strings that are themselves serialized (some plugins
 * double-serialize) are handled recursively, and JSON-escaped URLs (`http:\/\/host`) too.
 *
 * Pure: no I/O. Parsing works on UTF-8 bytes, because PHP lengths are byte counts.
 */

/** Deeper nesting than this is treated as unparseable (PHP's default `unserialize_max_depth` is 4096). */
const MAX_DEPTH = 4096;

export interface RewriteResult {
  value: string;
  changed: boolean;
  /** True when some (possibly nested) value looked serialized but did not parse, and was left as it was. */
  unparseable: boolean;
}

/**
 * Replaces the URL `from` by `to` everywhere in `value`, keeping PHP-serialized data valid.
 * A value that looks serialized but does not parse is returned unchanged (see {@link rewriteValue}
 * to learn that it happened). Matches stop at a host boundary: `http://a.test` is not replaced
 * inside `http://a.test.example` or `http://a.testing`.
 */
export function replaceInSerialized(value: string, from: string, to: string): string {
  return rewriteValue(value, from, to).value;
}

/** {@link replaceInSerialized} that also says whether anything changed or was skipped as broken. */
export function rewriteValue(value: string, from: string, to: string): RewriteResult {
  const pairs = replacementPairs(from, to);
  return rewrite(value, pairs, 0);
}

/**
 * Does `value` start like serialized data (`a:2:`, `s:5:"`, `O:8:"`, `i:3;`, `b:1;`, `N;` …)?
 * Looser than WordPress's `is_serialized()` on purpose: a truncated value (no closing `}`) still
 * counts, because such a value must never get a plain replacement — it is left byte-identical.
 */
export function looksSerialized(value: string): boolean {
  return /^\s*(N;|b:[01];|i:[+-]?[0-9]+;|d:[^;"]{1,64};|[aOC]:[0-9]+:|[sSE]:[0-9]+:")/.test(value);
}

/** True when `value` is one complete, well-formed serialized PHP value (surrounding whitespace allowed, as WordPress trims). */
export function isSerialized(value: string): boolean {
  try {
    transform(value, [], 0);
    return true;
  } catch {
    return false;
  }
}

type Pairs = Array<[string, string]>;

/** The URL as written, and as `json_encode()` writes it (slashes escaped), without trailing slash. */
function replacementPairs(from: string, to: string): Pairs {
  const f = from.replace(/\/+$/, '');
  const t = to.replace(/\/+$/, '');
  if (f === '' || f === t) return [];
  const pairs: Pairs = [[f, t]];
  if (f.includes('/')) pairs.push([f.replace(/\//g, '\\/'), t.replace(/\//g, '\\/')]);
  return pairs;
}

function rewrite(value: string, pairs: Pairs, depth: number): RewriteResult {
  if (pairs.length === 0 || !pairs.some(([f]) => value.includes(f))) return { value, changed: false, unparseable: false };
  if (looksSerialized(value)) {
    try {
      const out = transform(value, pairs, depth);
      return { value: out.value, changed: out.value !== value, unparseable: out.unparseable };
    } catch {
      // Looks serialized but is broken or truncated: any edit could make it worse. Leave it.
      return { value, changed: false, unparseable: true };
    }
  }
  const replaced = replacePlain(value, pairs);
  return { value: replaced, changed: replaced !== value, unparseable: false };
}

const HOST_CHAR = /[A-Za-z0-9_-]/;

/** True when the match ending at `end` is followed by more host name (so it is another host). */
function continuesHost(s: string, end: number): boolean {
  const next = s[end];
  if (next === undefined) return false;
  if (HOST_CHAR.test(next)) return true;
  return next === '.' && end + 1 < s.length && HOST_CHAR.test(s[end + 1]);
}

function replacePlain(s: string, pairs: Pairs): string {
  let out = s;
  for (const [f, t] of pairs) {
    let result = '';
    let at = 0;
    for (let i = out.indexOf(f); i !== -1; i = out.indexOf(f, i + f.length)) {
      if (continuesHost(out, i + f.length)) continue;
      result += out.slice(at, i) + t;
      at = i + f.length;
    }
    out = at === 0 ? out : result + out.slice(at);
  }
  return out;
}

/**
 * Parses the whole of `value` as one serialized value and writes it back with every string
 * rewritten. Throws on anything PHP's unserialize would reject (or that we cannot rewrite safely).
 */
function transform(value: string, pairs: Pairs, depth: number): { value: string; unparseable: boolean } {
  const lead = value.length - value.trimStart().length;
  const trail = value.length - value.trimEnd().length;
  const body = Buffer.from(value.slice(lead, value.length - trail), 'utf8');
  const parser = new Parser(body, pairs, depth);
  parser.value();
  if (parser.pos !== body.length) throw new Error('trailing data');
  const out = Buffer.concat(parser.out).toString('utf8');
  return { value: value.slice(0, lead) + out + value.slice(value.length - trail), unparseable: parser.unparseable };
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });
const C = (ch: string) => ch.charCodeAt(0);

/** A recursive-descent parser for PHP's serialize() format that copies its input to `out`, rewriting strings. */
class Parser {
  pos = 0;
  out: Buffer[] = [];
  unparseable = false;

  constructor(
    private readonly buf: Buffer,
    private readonly pairs: Pairs,
    private readonly depth: number,
  ) {}

  value(nesting = 0): void {
    if (nesting + this.depth > MAX_DEPTH) throw new Error('too deep');
    const start = this.pos;
    const type = String.fromCharCode(this.buf[this.pos]);
    if (type === 'N') {
      this.expect(';', this.pos + 1);
      return this.copy(start, this.pos);
    }
    this.expect(':', this.pos + 1);
    switch (type) {
      case 'b':
        this.scalar(/^[01]$/);
        return this.copy(start, this.pos);
      case 'i':
        this.scalar(/^[+-]?[0-9]+$/);
        return this.copy(start, this.pos);
      case 'd':
        this.scalar(/^([+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|-?INF|NAN)$/);
        return this.copy(start, this.pos);
      case 'r':
      case 'R':
        this.scalar(/^[0-9]+$/);
        return this.copy(start, this.pos);
      case 's':
        return this.string();
      case 'S':
      case 'E':
        // Escaped strings and enum cases: kept byte for byte (never seen holding URLs).
        this.quoted();
        this.expect(';', this.pos);
        return this.copy(start, this.pos);
      case 'a':
        return this.members(start, nesting);
      case 'O':
        this.quoted();
        this.expect(':', this.pos);
        return this.members(start, nesting);
      case 'C':
        return this.custom(start);
      default:
        throw new Error(`unknown type at ${start}`);
    }
  }

  /** `<count>:{` key value … `}` for arrays and objects. Keys are copied as they are (like wp-cli, only values are rewritten). */
  private members(start: number, nesting: number): void {
    const count = this.readCount();
    this.expect('{', this.pos);
    this.copy(start, this.pos);
    for (let i = 0; i < count; i++) {
      const k = this.buf[this.pos];
      if (k !== C('i') && k !== C('s')) throw new Error('bad key');
      const keyStart = this.pos;
      this.pos += 1;
      this.expect(':', this.pos);
      if (k === C('i')) this.scalar(/^[+-]?[0-9]+$/);
      else {
        this.quoted();
        this.expect(';', this.pos);
      }
      this.copy(keyStart, this.pos);
      this.value(nesting + 1);
    }
    const end = this.pos;
    this.expect('}', this.pos);
    this.copy(end, this.pos);
  }

  /** `s:<len>:"<bytes>";` rewritten (recursively, it may be serialized or JSON itself) with its new byte length. */
  private string(): void {
    const { from, to } = this.quoted();
    this.expect(';', this.pos);
    const raw = this.buf.subarray(from, to);
    let text: string;
    try {
      text = fatalUtf8.decode(raw);
    } catch {
      // Not valid UTF-8 on its own (binary, or a length that splits a character): keep its bytes.
      this.out.push(Buffer.from(`s:${raw.length}:"`), raw, Buffer.from('";'));
      return;
    }
    const r = rewrite(text, this.pairs, this.depth + 1);
    if (r.unparseable) this.unparseable = true;
    const bytes = Buffer.from(r.value, 'utf8');
    this.out.push(Buffer.from(`s:${bytes.length}:"`), bytes, Buffer.from('";'));
  }

  /** `C:<len>:"Class":<len>:{payload}`: the payload is the class's own format, rewritten only if it is one serialized value. */
  private custom(start: number): void {
    this.quoted();
    this.expect(':', this.pos);
    const lengthAt = this.pos;
    const len = this.readLength();
    this.expect(':', this.pos);
    this.expect('{', this.pos);
    const from = this.pos;
    const to = from + len;
    if (to >= this.buf.length || this.buf[to] !== C('}')) throw new Error('bad custom payload');
    this.copy(start, lengthAt);
    let payload = this.buf.subarray(from, to);
    const text = payload.toString('utf8');
    if (Buffer.from(text, 'utf8').equals(payload) && isSerialized(text)) payload = Buffer.from(rewrite(text, this.pairs, this.depth + 1).value, 'utf8');
    this.out.push(Buffer.from(`${payload.length}:{`), payload, Buffer.from('}'));
    this.pos = to + 1;
  }

  /** `<len>:"<len bytes>"` starting at pos (after `X:`); returns the content's byte range. */
  private quoted(): { from: number; to: number } {
    const len = this.readLength();
    this.expect(':', this.pos);
    this.expect('"', this.pos);
    const from = this.pos;
    const to = from + len;
    if (to >= this.buf.length || this.buf[to] !== C('"')) throw new Error('length mismatch');
    this.pos = to + 1;
    return { from, to };
  }

  private readLength(): number {
    const end = this.number(':');
    const n = Number(this.buf.subarray(this.pos, end).toString('latin1'));
    if (!Number.isSafeInteger(n)) throw new Error('bad length');
    this.pos = end;
    return n;
  }

  private readCount(): number {
    const n = this.readLength();
    this.expect(':', this.pos);
    return n;
  }

  /** Index of the `stop` byte after a run of digits at pos (PHP lengths are unsigned decimal). */
  private number(stop: string): number {
    let i = this.pos;
    while (i < this.buf.length && this.buf[i] >= 0x30 && this.buf[i] <= 0x39) i++;
    if (i === this.pos || i - this.pos > 15 || this.buf[i] !== C(stop)) throw new Error('bad number');
    return i;
  }

  /** `<text>;` checked against `pattern`. */
  private scalar(pattern: RegExp): void {
    const end = this.buf.indexOf(';', this.pos);
    if (end === -1 || end - this.pos > 64 || !pattern.test(this.buf.subarray(this.pos, end).toString('latin1'))) throw new Error('bad scalar');
    this.pos = end + 1;
  }

  /** Consumes `ch` at `at` (which must be pos). */
  private expect(ch: string, at: number): void {
    if (at !== this.pos && at !== this.pos + 1) throw new Error('parser misuse');
    if (this.buf[at] !== C(ch)) throw new Error(`expected ${ch} at ${at}`);
    this.pos = at + 1;
  }

  private copy(from: number, to: number): void {
    if (to > from) this.out.push(this.buf.subarray(from, to));
  }
}
