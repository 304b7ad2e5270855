/**
 * The lexer of the Logs Insights subset. Driven by the parser: a `/` is a division where an
 * operator may stand and the start of a regular expression where a value may stand, so the parser
 * asks for a regex explicitly (`rescanRegex`). Every token keeps its offset for error positions.
 */
import { BbwsError } from '../errors.js';

export type TokenKind = 'ident' | 'number' | 'duration' | 'string' | 'regex' | 'op' | 'eof';

export interface Token {
  kind: TokenKind;
  text: string;
  /** Unquoted string, field name, or regex source. */
  value: string;
  flags?: string;
  start: number;
  end: number;
}

const OPS = ['!=', '<=', '>=', '=~', '|', ',', '(', ')', '[', ']', '=', '<', '>', '+', '-', '*', '/', '%'];
/** Units of `bin(5m)` and friends, in milliseconds. */
export const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000, hr: 3_600_000, d: 86_400_000, w: 604_800_000,
};

/** Line and column (both from 1) of an offset: what every query error reports. */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === '\n') (line++, (lineStart = i + 1));
  return { line, column: offset - lineStart + 1 };
}

export function queryError(text: string, offset: number, message: string, found?: string): BbwsError {
  const { line, column } = positionOf(text, offset);
  return new BbwsError('LOGS_QUERY_INVALID', `Line ${line}, column ${column}: ${message}`, { line, column, offset, ...(found === undefined ? {} : { found }) });
}

const IDENT_START = /[A-Za-z_@$]/;
/** Field names with other characters (a hyphen, a space) are quoted with backticks, as in Logs Insights. */
const IDENT_PART = /[A-Za-z0-9_@$.]/;

export class QueryLexer {
  private pos = 0;
  private peeked: Token | null = null;

  constructor(readonly text: string) {}

  peek(): Token {
    return (this.peeked ??= this.scan());
  }

  next(): Token {
    const t = this.peek();
    this.peeked = null;
    return t;
  }

  /** Reads a `/regex/flags` that starts at the peeked `/` token. */
  rescanRegex(): Token {
    const slash = this.peek();
    const text = this.text;
    let i = slash.start + 1;
    let source = '';
    let inClass = false;
    for (;; i++) {
      const c = text[i];
      if (c === undefined || c === '\n') throw queryError(text, slash.start, 'the regular expression is not closed with /');
      if (c === '\\') (source += c + (text[i + 1] ?? '')), i++;
      else if (c === '[') (inClass = true), (source += c);
      else if (c === ']') (inClass = false), (source += c);
      else if (c === '/' && !inClass) break;
      else source += c;
    }
    let end = i + 1;
    while (/[a-z]/.test(text[end] ?? '')) end++;
    const flags = text.slice(i + 1, end);
    this.peeked = null;
    this.pos = end;
    return { kind: 'regex', text: text.slice(slash.start, end), value: source, flags, start: slash.start, end };
  }

  private skipSpaceAndComments(): void {
    const text = this.text;
    while (this.pos < text.length) {
      const c = text[this.pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') this.pos++;
      else if (c === '#') while (this.pos < text.length && text[this.pos] !== '\n') this.pos++;
      else break;
    }
  }

  private scan(): Token {
    this.skipSpaceAndComments();
    const text = this.text;
    const start = this.pos;
    if (start >= text.length) return { kind: 'eof', text: '', value: '', start, end: start };
    const c = text[start];
    if (c === '"' || c === "'") return this.scanString(c);
    if (c === '`') {
      const close = text.indexOf('`', start + 1);
      if (close < 0) throw queryError(text, start, 'the quoted field name is not closed with `');
      this.pos = close + 1;
      return { kind: 'ident', text: text.slice(start, this.pos), value: text.slice(start + 1, close), start, end: this.pos };
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(text[start + 1] ?? ''))) {
      const m = /^(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/.exec(text.slice(start))!;
      let end = start + m[0].length;
      const unit = /^[a-z]+/.exec(text.slice(end));
      if (unit && DURATION_UNITS[unit[0]] !== undefined) {
        end += unit[0].length;
        this.pos = end;
        return { kind: 'duration', text: text.slice(start, end), value: m[0], flags: unit[0], start, end };
      }
      if (unit) throw queryError(text, end, `unknown time unit "${unit[0]}" (use ms, s, m, h, d or w)`, unit[0]);
      this.pos = end;
      return { kind: 'number', text: m[0], value: m[0], start, end };
    }
    if (IDENT_START.test(c)) {
      let end = start + 1;
      while (end < text.length && IDENT_PART.test(text[end])) end++;
      this.pos = end;
      const value = text.slice(start, end);
      return { kind: 'ident', text: value, value, start, end };
    }
    for (const op of OPS) {
      if (text.startsWith(op, start)) {
        this.pos = start + op.length;
        return { kind: 'op', text: op, value: op, start, end: this.pos };
      }
    }
    throw queryError(text, start, `unexpected character "${c}"`, c);
  }

  private scanString(quote: string): Token {
    const text = this.text;
    const start = this.pos;
    let value = '';
    let i = start + 1;
    for (;; i++) {
      const c = text[i];
      if (c === undefined) throw queryError(text, start, `the string is not closed with ${quote}`);
      if (c === '\\') {
        const n = text[++i];
        value += n === 'n' ? '\n' : n === 't' ? '\t' : (n ?? '');
      } else if (c === quote) break;
      else value += c;
    }
    this.pos = i + 1;
    return { kind: 'string', text: text.slice(start, this.pos), value, start, end: this.pos };
  }
}
