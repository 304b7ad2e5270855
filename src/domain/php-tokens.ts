/**
 * A small PHP tokenizer for the plugin scanner (`plugin-scan.ts`). PURE: no I/O.
 *
 * Why a tokenizer and not regular expressions over the source: a scanner that greps for `eval(`
 * flags comments (`// never eval( user input`) and translations ('Run shell_exec on your server'),
 * and misses the same call hidden behind a comment (`eval/* x *\/(`). Skipping comments and
 * decoding string literals the way PHP does keeps false positives low and makes evasions visible.
 *
 * It is not a full PHP lexer: it knows what the rules need (identifiers, variables, strings with
 * their decoded value, backticks, operators, line numbers) and is total — any byte sequence yields
 * tokens, never an exception, because its input is hostile.
 */

export type PhpTokenKind = 'ident' | 'var' | 'string' | 'number' | 'op' | 'backtick';

export interface PhpToken {
  kind: PhpTokenKind;
  /** Identifier or variable name as written (`$x`, `\system`), operator text, or raw string source. */
  text: string;
  /** 1-based line where the token starts. */
  line: number;
  /** For strings and backticks: the value after PHP's escape processing. */
  value?: string;
  /** For strings: how many `\x`, octal or `\u{}` escapes the literal used (obfuscation heuristic). */
  escapes?: number;
  /** For strings: double-quoted or heredoc, so `${…}` inside is interpolated (and can run code). */
  interpolated?: boolean;
}

const OPS3 = ['?->', '===', '!==', '<=>', '**=', '...', '<<=', '>>=', '??='];
const OPS2 = ['->', '::', '=>', '==', '!=', '<>', '<=', '>=', '&&', '||', '++', '--', '+=', '-=', '*=', '/=', '.=', '%=', '&=', '|=', '^=', '<<', '>>', '??', '**'];

const isIdentStart = (c: string) => /[A-Za-z_\x80-\uffff\\]/.test(c);
const isIdentPart = (c: string) => /[A-Za-z0-9_\x80-\uffff\\]/.test(c);

/** Tokenizes PHP source, including the HTML around `<?php … ?>` blocks (which it skips). */
export function tokenizePhp(source: string): PhpToken[] {
  const tokens: PhpToken[] = [];
  const n = source.length;
  let i = 0;
  let line = 1;
  const countLines = (from: number, to: number) => {
    for (let k = from; k < to && k < n; k++) if (source.charCodeAt(k) === 10) line++;
  };

  // Outside PHP: find the next opening tag. `<?` followed by whitespace counts too, because a
  // server with short_open_tag on would run it (and `<?xml` is not followed by whitespace).
  const openTag = /<\?(?:php(?=\s|$)|=|(?=\s))/gi;
  const skipHtml = (): boolean => {
    openTag.lastIndex = i;
    const m = openTag.exec(source);
    if (!m) {
      countLines(i, n);
      i = n;
      return false;
    }
    countLines(i, m.index);
    i = m.index + m[0].length;
    return true;
  };

  if (!skipHtml()) return tokens;
  while (i < n) {
    const c = source[i];
    const two = source.slice(i, i + 2);
    if (c === '\n') {
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      i++;
    } else if (two === '?>') {
      // PHP treats a closing tag as the end of a statement.
      tokens.push({ kind: 'op', text: ';', line });
      i += 2;
      if (!skipHtml()) break;
    } else if (two === '//' || (c === '#' && source[i + 1] !== '[')) {
      // A line comment ends at the newline or at `?>`, as in PHP.
      while (i < n && source[i] !== '\n' && source.slice(i, i + 2) !== '?>') i++;
    } else if (two === '/*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      countLines(i, stop);
      i = stop;
    } else if (c === "'") {
      const start = line;
      const r = readSingleQuoted(source, i);
      countLines(i, r.end);
      tokens.push({ kind: 'string', text: source.slice(i, r.end), value: r.value, escapes: 0, line: start });
      i = r.end;
    } else if (c === '"' || c === '`') {
      const start = line;
      const r = readDoubleQuoted(source, i, c);
      countLines(i, r.end);
      const text = source.slice(i, r.end);
      tokens.push({ kind: c === '`' ? 'backtick' : 'string', text, value: r.value, escapes: r.escapes, interpolated: true, line: start });
      i = r.end;
    } else if (source.startsWith('<<<', i)) {
      const start = line;
      const r = readHeredoc(source, i);
      if (!r) {
        tokens.push({ kind: 'op', text: '<<', line });
        i += 2;
        continue;
      }
      countLines(i, r.end);
      tokens.push({ kind: 'string', text: source.slice(i, r.end), value: r.value, escapes: r.escapes, interpolated: !r.nowdoc, line: start });
      i = r.end;
    } else if (c === '$' && i + 1 < n && isIdentStart(source[i + 1]) && source[i + 1] !== '\\') {
      let j = i + 1;
      while (j < n && isIdentPart(source[j]) && source[j] !== '\\') j++;
      tokens.push({ kind: 'var', text: source.slice(i, j), line });
      i = j;
    } else if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(source[j])) j++;
      tokens.push({ kind: 'ident', text: source.slice(i, j), line });
      i = j;
    } else if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < n && /[0-9A-Za-z_.]/.test(source[j])) j++;
      tokens.push({ kind: 'number', text: source.slice(i, j), line });
      i = j;
    } else {
      const op = OPS3.find((o) => source.startsWith(o, i)) ?? OPS2.find((o) => source.startsWith(o, i)) ?? c;
      tokens.push({ kind: 'op', text: op, line });
      i += op.length;
    }
  }
  return tokens;
}

function readSingleQuoted(s: string, start: number): { value: string; end: number } {
  let value = '';
  let i = start + 1;
  while (i < s.length && s[i] !== "'") {
    // Only \' and \\ are escapes in single quotes; every other backslash is literal.
    if (s[i] === '\\' && (s[i + 1] === "'" || s[i + 1] === '\\')) {
      value += s[i + 1];
      i += 2;
    } else {
      value += s[i++];
    }
  }
  return { value, end: Math.min(i + 1, s.length) };
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', v: '\v', e: '\x1b', f: '\f', '\\': '\\', $: '$' };

const HEX = /x([0-9A-Fa-f]{1,2})/y;
const OCTAL = /([0-7]{1,3})/y;
const UNICODE = /u\{([0-9A-Fa-f]{1,6})\}/y;

/** Sticky match at `at` (no slicing: a string of 100k escapes must stay linear). */
function matchAt(re: RegExp, body: string, at: number): RegExpExecArray | null {
  re.lastIndex = at;
  return re.exec(body);
}

/** Decodes the escapes of a double-quoted string body as PHP does. */
function decodeEscapes(body: string, quote: string): { value: string; escapes: number } {
  let value = '';
  let escapes = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\' || i + 1 >= body.length) {
      value += c;
      continue;
    }
    const d = body[i + 1];
    let m: RegExpExecArray | null;
    if (d in SIMPLE_ESCAPES) {
      value += SIMPLE_ESCAPES[d];
      i++;
    } else if (d === quote) {
      value += d;
      i++;
    } else if ((m = matchAt(HEX, body, i + 1))) {
      value += String.fromCharCode(parseInt(m[1], 16));
      escapes++;
      i += m[0].length;
    } else if ((m = matchAt(OCTAL, body, i + 1))) {
      value += String.fromCharCode(parseInt(m[1], 8) & 0xff);
      escapes++;
      i += m[0].length;
    } else if ((m = matchAt(UNICODE, body, i + 1))) {
      value += String.fromCodePoint(Math.min(parseInt(m[1], 16), 0x10ffff));
      escapes++;
      i += m[0].length;
    } else {
      value += c;
    }
  }
  return { value, escapes };
}

function readDoubleQuoted(s: string, start: number, quote: string): { value: string; escapes: number; end: number } {
  let i = start + 1;
  while (i < s.length && s[i] !== quote) i += s[i] === '\\' ? 2 : 1;
  const body = s.slice(start + 1, Math.min(i, s.length));
  return { ...decodeEscapes(body, quote), end: Math.min(i + 1, s.length) };
}

/** `<<<ID`, `<<<"ID"` (heredoc) and `<<<'ID'` (nowdoc); the closing ID may be indented (PHP 7.3+). */
function readHeredoc(s: string, start: number): { value: string; escapes: number; nowdoc: boolean; end: number } | undefined {
  const m = /^<<<[ \t]*(["']?)([A-Za-z_\x80-\uffff][A-Za-z0-9_\x80-\uffff]*)\1\r?\n/.exec(s.slice(start, start + 300));
  if (!m) return undefined;
  const nowdoc = m[1] === "'";
  const bodyStart = start + m[0].length;
  const close = new RegExp(`(^|\\n)[ \\t]*${m[2]}(?![A-Za-z0-9_\\x80-\\uffff])`, 'g');
  close.lastIndex = bodyStart - 1;
  const c = close.exec(s);
  const bodyEnd = c ? c.index : s.length;
  const end = c ? c.index + c[0].length : s.length;
  const body = s.slice(bodyStart, Math.max(bodyStart, bodyEnd));
  return nowdoc ? { value: body, escapes: 0, nowdoc, end } : { ...decodeEscapes(body, ''), nowdoc, end };
}
