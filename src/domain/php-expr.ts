/**
 * Expression helpers over PHP tokens for the plugin scanner: bracket matching, argument
 * splitting, constant folding of string expressions and a tiny per-file variable taint.
 * PURE: no I/O.
 *
 * Constant folding is what catches `$f = 'sys' . 'tem'; $f('id')` and
 * `$f = base64_decode('c3lzdGVt')`: the scanner knows the value the call resolves to.
 */
import type { PhpToken } from './php-tokens.js';

/** What the scanner knows about a variable from its assignments earlier in the file. */
export interface VarFacts {
  /** The constant string value, when every assignment so far was foldable. */
  value?: string;
  /** Built from a decoder (base64_decode, gzinflate…) whose input is not constant. */
  decoded?: boolean;
  /** Built from request input ($_GET, $_POST, php://input…). */
  request?: boolean;
}

export type Vars = Map<string, VarFacts>;

/** Functions that turn an opaque string into code-looking text. */
export const DECODERS = new Set(['base64_decode', 'str_rot13', 'gzinflate', 'gzuncompress', 'gzdecode', 'hex2bin', 'convert_uudecode', 'strrev', 'rawurldecode', 'urldecode', 'bzdecompress', 'pack']);

const REQUEST_VARS = new Set(['$_GET', '$_POST', '$_REQUEST', '$_COOKIE', '$_FILES', '$HTTP_RAW_POST_DATA', '$HTTP_GET_VARS', '$HTTP_POST_VARS']);
const REQUEST_CALLS = new Set(['getallheaders', 'apache_request_headers']);

/** Lower-cased function name of an identifier token (`\System` → `system`); undefined when namespaced. */
export function functionName(t: PhpToken | undefined): string | undefined {
  if (!t || t.kind !== 'ident') return undefined;
  const name = t.text.startsWith('\\') ? t.text.slice(1) : t.text;
  return name.includes('\\') ? undefined : name.toLowerCase();
}

/**
 * Hostile files are built to make analysers slow (thousands of nested, unclosed `eval(`): every
 * range walk spends from a per-file budget, and {@link ScanBudgetExceeded} ends the scan, which
 * then refuses the file instead of hanging the publish.
 */
export class ScanBudgetExceeded extends Error {}

const budgets = new WeakMap<PhpToken[], { left: number }>();
const brackets = new WeakMap<PhpToken[], Int32Array>();

/** Gives a token list its work budget (in token visits); called once per file by the scanner. */
export function setScanBudget(tokens: PhpToken[], visits: number): void {
  budgets.set(tokens, { left: visits });
}

function spend(tokens: PhpToken[], visits: number): void {
  const b = budgets.get(tokens);
  if (b && (b.left -= visits) < 0) throw new ScanBudgetExceeded('scan budget exceeded');
}

/** Matching bracket of every bracket, computed once per token list with a stack (O(n)). */
function bracketIndex(tokens: PhpToken[]): Int32Array {
  let index = brackets.get(tokens);
  if (index) return index;
  index = new Int32Array(tokens.length).fill(-1);
  const stack: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind !== 'op') continue;
    if (t.text === '(' || t.text === '[' || t.text === '{') stack.push(i);
    else if ((t.text === ')' || t.text === ']' || t.text === '}') && stack.length) index[stack.pop()!] = i;
  }
  brackets.set(tokens, index);
  return index;
}

/** Index of the bracket closing the one at `open` (or the last token when unbalanced). */
export function matchingClose(tokens: PhpToken[], open: number): number {
  const close = bracketIndex(tokens)[open];
  return close === undefined || close < 0 ? tokens.length - 1 : close;
}

/** Top-level comma-separated argument ranges `[start, end)` inside the parentheses at `open`. */
export function splitArgs(tokens: PhpToken[], open: number): Array<[number, number]> {
  const close = matchingClose(tokens, open);
  spend(tokens, close - open);
  const args: Array<[number, number]> = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open + 1; i < close; i++) {
    const t = tokens[i];
    if (t.kind !== 'op') continue;
    if (t.text === '(' || t.text === '[' || t.text === '{') depth++;
    else if (t.text === ')' || t.text === ']' || t.text === '}') depth--;
    else if (t.text === ',' && depth === 0) {
      args.push([start, i]);
      start = i + 1;
    }
  }
  if (start < close) args.push([start, close]);
  return args;
}

/** End (exclusive) of the expression starting at `start`: the `;` or `,` or closing bracket at depth 0. */
export function expressionEnd(tokens: PhpToken[], start: number): number {
  let depth = 0;
  for (let i = start; i < tokens.length; i++) {
    spend(tokens, 1);
    const t = tokens[i];
    if (t.kind !== 'op') continue;
    if (t.text === '(' || t.text === '[' || t.text === '{') depth++;
    else if (t.text === ')' || t.text === ']' || t.text === '}') {
      if (depth === 0) return i;
      depth--;
    } else if ((t.text === ';' || t.text === ',') && depth === 0) return i;
  }
  return tokens.length;
}

function rot13(s: string): string {
  return s.replace(/[A-Za-z]/g, (c) => {
    const base = c <= 'Z' ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
  });
}

function base64Decode(s: string): string | undefined {
  try {
    return atob(s.replace(/[^A-Za-z0-9+/=]/g, ''));
  } catch {
    return undefined;
  }
}

const FOLDABLE: Record<string, (s: string) => string | undefined> = {
  base64_decode: base64Decode,
  str_rot13: rot13,
  strrev: (s) => [...s].reverse().join(''),
  strtolower: (s) => s.toLowerCase(),
  strtoupper: (s) => s.toUpperCase(),
  trim: (s) => s.trim(),
  hex2bin: (s) => (/^([0-9A-Fa-f]{2})*$/.test(s) ? s.replace(/../g, (h) => String.fromCharCode(parseInt(h, 16))) : undefined),
  urldecode: (s) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return undefined;
    }
  },
};

/**
 * Folds `tokens[start, end)` to a constant string when it is built only from string literals,
 * `.`, parentheses, known-constant variables, `chr(N)` and the decoders above; else undefined.
 */
export function foldConstant(tokens: PhpToken[], start: number, end: number, vars: Vars): string | undefined {
  let pos = start;
  const term = (): string | undefined => {
    spend(tokens, 1);
    const t = tokens[pos];
    if (!t || pos >= end) return undefined;
    if (t.kind === 'string' && !(t.interpolated && /\$/.test(t.text.replace(/\\\$/g, '')))) {
      pos++;
      return t.value ?? '';
    }
    if (t.kind === 'number') {
      pos++;
      return t.text;
    }
    if (t.kind === 'var') {
      pos++;
      return vars.get(t.text)?.value;
    }
    if (t.kind === 'op' && t.text === '(') {
      const close = matchingClose(tokens, pos);
      const inner = foldConstant(tokens, pos + 1, close, vars);
      pos = close + 1;
      return inner;
    }
    const name = functionName(t);
    if (name && tokens[pos + 1]?.text === '(') {
      const close = matchingClose(tokens, pos + 1);
      const args = splitArgs(tokens, pos + 1);
      pos = close + 1;
      if (args.length < 1) return undefined;
      const arg = foldConstant(tokens, args[0][0], args[0][1], vars);
      if (arg === undefined) return undefined;
      if (name === 'chr') return /^\d+$/.test(arg) ? String.fromCharCode(Number(arg) % 256) : undefined;
      return FOLDABLE[name]?.(arg);
    }
    return undefined;
  };
  let out = term();
  while (out !== undefined && pos < end) {
    if (tokens[pos].text !== '.') return undefined;
    pos++;
    const next = term();
    out = next === undefined ? undefined : out + next;
  }
  return pos === end ? out : undefined;
}

/** True when the token range reads request input directly or through a tainted variable. */
export function readsRequest(tokens: PhpToken[], start: number, end: number, vars: Vars): boolean {
  spend(tokens, end - start);
  for (let i = start; i < end; i++) {
    const t = tokens[i];
    if (t.kind === 'var' && (REQUEST_VARS.has(t.text) || vars.get(t.text)?.request)) return true;
    // $_SERVER['HTTP_…'] and the request line are client-controlled; DOCUMENT_ROOT and friends are not.
    if (t.kind === 'var' && t.text === '$_SERVER' && tokens[i + 1]?.text === '[' && /^(HTTP_|QUERY_STRING|REQUEST_URI|PATH_INFO|PHP_SELF)/.test(tokens[i + 2]?.value ?? '')) return true;
    if (t.kind === 'string' && /^php:\/\/input$/i.test(t.value ?? '')) return true;
    const name = functionName(t);
    if (name && REQUEST_CALLS.has(name) && tokens[i + 1]?.text === '(') return true;
  }
  return false;
}

/** True when the range calls a decoder or uses a variable built from one. */
export function usesDecoder(tokens: PhpToken[], start: number, end: number, vars: Vars): boolean {
  spend(tokens, end - start);
  for (let i = start; i < end; i++) {
    const t = tokens[i];
    if (t.kind === 'var' && vars.get(t.text)?.decoded) return true;
    const name = functionName(t);
    if (name && DECODERS.has(name) && tokens[i + 1]?.text === '(' && !isMemberAccess(tokens, i)) return true;
  }
  return false;
}

/** `$obj->name`, `$obj?->name`, `Cls::name`: a method or property, not a global function. */
export function isMemberAccess(tokens: PhpToken[], i: number): boolean {
  const prev = tokens[i - 1]?.text;
  return prev === '->' || prev === '?->' || prev === '::';
}

/** Records what an assignment `$v = …` / `$v .= …` at token `i` (the variable) tells about `$v`. */
export function recordAssignment(tokens: PhpToken[], i: number, vars: Vars): void {
  const op = tokens[i + 1]?.text;
  const start = i + 2;
  const end = expressionEnd(tokens, start);
  const name = tokens[i].text;
  const facts: VarFacts = {
    value: foldConstant(tokens, start, end, vars),
    decoded: usesDecoder(tokens, start, end, vars) || undefined,
    request: readsRequest(tokens, start, end, vars) || undefined,
  };
  if (op === '.=') {
    const prior = vars.get(name) ?? {};
    facts.value = prior.value !== undefined && facts.value !== undefined ? prior.value + facts.value : undefined;
    facts.decoded ||= prior.decoded;
    facts.request ||= prior.request;
  }
  vars.set(name, facts);
}
