/**
 * Static scan of a plugin's files for constructs that a multi-tenant host must not run (seed 001
 * "plugins-service (security-vetted)"). PURE: takes file names and contents, returns violations.
 *
 * Rules (ids are stable; `docs/plugins.md` explains each and what an operator does about it):
 * - `eval-decoded`     decoded data runs as code: `eval(base64_decode(…))`, a variable function
 *                      whose name comes from a decoder, `assert`/`create_function` of decoded text.
 * - `dynamic-code`     code built at run time: `eval`, `create_function`, `assert` with a string,
 *                      `preg_replace` with the `/e` modifier, `${…}` calls inside strings, eval-like
 *                      functions reached through a string-built name.
 * - `shell-exec`       `system`, `exec`, `shell_exec`, `passthru`, `popen`, `proc_open`,
 *                      `pcntl_exec`, backticks — called directly, through a variable or as a callback.
 * - `remote-include`   `include`/`require` of `http(s)://`, `ftp://`, `php://`, `data:`, `phar://`,
 *                      `expect://`, or of a path built from request input.
 * - `request-input`    `$_GET`/`$_POST`/`$_REQUEST`/`$_COOKIE`… fed to an eval-like sink, used as a
 *                      function name, or `extract()`ed into variables.
 * - `obfuscation`      long base64/hex blobs, strings made of `\x` escapes, `chr()` chains, function
 *                      names assembled from pieces, PHP hidden in image files.
 * - `executable-payload` files the server could run that are not plugin PHP: `.phar`, `.so`, ELF
 *                      binaries, `.user.ini` (php-fpm reads it: `auto_prepend_file`).
 *
 * What it deliberately does not flag (tested in test/unit/plugin-scan.test.ts): the words in
 * comments or strings, methods named like the functions (`$wpdb->query`, `$stmt->execute()`,
 * `$redis->eval()`), function declarations, base64-encoded images.
 */
import { tokenizePhp, type PhpToken } from './php-tokens.js';
import { DECODERS, expressionEnd, foldConstant, ScanBudgetExceeded, setScanBudget, functionName, isMemberAccess, matchingClose, readsRequest, recordAssignment, splitArgs, usesDecoder, type Vars } from './php-expr.js';

/** Same shape as the port's `PluginViolation` (domain cannot import ports). */
export interface PluginViolation {
  rule: string;
  message: string;
  file?: string;
  line?: number;
}

const SHELL_FUNCTIONS = new Set(['system', 'exec', 'shell_exec', 'passthru', 'popen', 'proc_open', 'pcntl_exec', 'expect_popen']);
const CODE_FUNCTIONS = new Set(['assert', 'create_function']);
/** Names that have no business being assembled from pieces or hidden in escapes. */
const SUSPICIOUS_NAMES = new Set([...SHELL_FUNCTIONS, ...CODE_FUNCTIONS, ...DECODERS, 'eval', 'preg_replace', 'call_user_func', 'call_user_func_array', 'file_put_contents', 'fwrite', 'move_uploaded_file', 'curl_exec']);
/** Functions that call a callable they are given, and which argument it is. */
const CALLBACK_SINKS: Record<string, number> = {
  call_user_func: 0, call_user_func_array: 0, forward_static_call: 0, forward_static_call_array: 0,
  array_map: 0, register_shutdown_function: 0, register_tick_function: 0, ob_start: 0,
  set_error_handler: 0, set_exception_handler: 0, spl_autoload_register: 0, header_register_callback: 0,
  array_filter: 1, array_walk: 1, array_walk_recursive: 1, array_reduce: 1, usort: 1, uasort: 1, uksort: 1,
  iterator_apply: 1, preg_replace_callback: 1, add_action: 1, add_filter: 1,
};
const INCLUDES = new Set(['include', 'include_once', 'require', 'require_once']);
const REMOTE_SCHEME = /^\s*(https?:|ftps?:|php:|data:|phar:|expect:|zip:|ssh2\.|rar:|ogg:|glob:|compress\.)/i;
/** Keywords before `name(` that make it a declaration or a class, not a call. */
const NOT_A_CALL_AFTER = new Set(['function', 'fn', 'new', 'const', 'class', 'interface', 'trait', 'enum', 'instanceof', 'use', 'insteadof', 'as']);

/** Base64 prefixes of file formats plugins legitimately embed (PNG, JPEG, GIF, WebP, WOFF, WOFF2, TTF, SVG, `<?xml`, PDF). */
const EMBEDDED_MEDIA = /^(iVBORw0KGgo|\/9j\/|R0lGOD|UklGR|d09GRg|d09GMg|AAEAAAA|PHN2Zy|PD94bWwg|JVBERi0)/;

type Emit = (rule: string, line: number, message: string) => void;

/** True when `tokens[i]` is a call of the global function it names (not a method, declaration or class). */
function isGlobalCall(tokens: PhpToken[], i: number): boolean {
  if (tokens[i + 1]?.text !== '(' || isMemberAccess(tokens, i)) return false;
  const prev = tokens[i - 1];
  const prevWord = prev?.kind === 'ident' ? prev.text.toLowerCase() : prev?.text === '&' ? tokens[i - 2]?.text.toLowerCase() : undefined;
  return !(prevWord && NOT_A_CALL_AFTER.has(prevWord));
}

function ruleForCallee(name: string): { rule: string; what: string } | undefined {
  if (SHELL_FUNCTIONS.has(name)) return { rule: 'shell-exec', what: `runs shell commands (${name})` };
  if (CODE_FUNCTIONS.has(name)) return { rule: 'dynamic-code', what: `runs code built at run time (${name})` };
  return undefined;
}

/** `/…/e` (preg_replace's evaluate modifier, removed in PHP 7 but still seen in web shells). */
function hasEvalModifier(pattern: string): boolean {
  const p = pattern.trimStart();
  if (p.length < 2 || /[A-Za-z0-9\\\s]/.test(p[0])) return false;
  const closing = ({ '(': ')', '{': '}', '[': ']', '<': '>' } as Record<string, string>)[p[0]] ?? p[0];
  const end = p.lastIndexOf(closing);
  return end > 0 && /^[a-zA-Z]*$/.test(p.slice(end + 1).trim()) && p.slice(end + 1).includes('e');
}

function checkCall(tokens: PhpToken[], i: number, vars: Vars, emit: Emit): void {
  const t = tokens[i];
  const name = functionName(t)!;
  const line = t.line;
  const open = i + 1;
  const close = matchingClose(tokens, open);
  const args = splitArgs(tokens, open);
  const decoded = usesDecoder(tokens, open + 1, close, vars);
  const request = readsRequest(tokens, open + 1, close, vars);
  const callee = ruleForCallee(name);

  if (name === 'eval' || name === 'assert' || name === 'create_function') {
    if (decoded) emit('eval-decoded', line, `${name}() runs decoded data as code`);
    if (request) emit('request-input', line, `${name}() runs request input as code`);
    const literalAssert = name === 'assert' && tokens[open + 1]?.kind === 'string' && args[0]?.[1] === open + 2;
    if (!decoded && !request && (name !== 'assert' || literalAssert)) emit('dynamic-code', line, `${name}() runs code built at run time`);
    return;
  }
  if (callee) {
    emit(callee.rule, line, `${name}() ${callee.what.replace(/ \(.*\)$/, '')}${request ? ' with request input' : ''}`);
    return;
  }
  if (name === 'preg_replace' || name === 'preg_filter') {
    const [s, e] = args[0] ?? [open + 1, open + 1];
    const folded = foldConstant(tokens, s, e, vars);
    const patterns = folded !== undefined ? [folded] : tokens.slice(s, e).filter((x) => x.kind === 'string').map((x) => x.value ?? '');
    if (patterns.some(hasEvalModifier)) emit('dynamic-code', line, `${name}() with the /e modifier evaluates the replacement as PHP`);
    else if (usesDecoder(tokens, s, e, vars)) emit('eval-decoded', line, `${name}() with a decoded pattern (hidden /e modifier)`);
    return;
  }
  if (name === 'extract' || name === 'parse_str') {
    if (request && args.length === 1) emit('request-input', line, `${name}() turns request input into variables`);
    return;
  }
  const cb = CALLBACK_SINKS[name];
  if (cb !== undefined && args[cb]) {
    const [s, e] = args[cb];
    const target = foldConstant(tokens, s, e, vars)?.toLowerCase().replace(/^\\/, '');
    const r = target ? ruleForCallee(target) : undefined;
    if (r) emit(r.rule, line, `${name}() is given ${target} as a callback: ${r.what}`);
    else if (readsRequest(tokens, s, e, vars)) emit('request-input', line, `${name}() calls a function named by request input`);
    else if (usesDecoder(tokens, s, e, vars)) emit('eval-decoded', line, `${name}() calls a function whose name is decoded at run time`);
  }
}

/** `$f(...)`, `$_GET['f'](...)`, `('sys'.'tem')(...)`: calls whose callee is a value. */
function checkDynamicCall(tokens: PhpToken[], i: number, vars: Vars, emit: Emit): void {
  const t = tokens[i];
  if (t.kind === 'var' && tokens[i + 1]?.text === '(' && !isMemberAccess(tokens, i)) {
    const facts = vars.get(t.text);
    const r = facts?.value !== undefined ? ruleForCallee(facts.value.toLowerCase().replace(/^\\/, '')) : undefined;
    if (r) emit(r.rule, t.line, `${t.text}() ${r.what} through a variable`);
    else if (facts?.request || /^\$_(GET|POST|REQUEST|COOKIE)$/.test(t.text)) emit('request-input', t.line, `${t.text}() calls a function named by request input`);
    else if (facts?.decoded) emit('eval-decoded', t.line, `${t.text}() calls a function whose name is decoded at run time`);
  } else if (t.kind === 'var' && /^\$_(GET|POST|REQUEST|COOKIE|SERVER)$/.test(t.text) && tokens[i + 1]?.text === '[') {
    const close = matchingClose(tokens, i + 1);
    if (tokens[close + 1]?.text === '(') emit('request-input', t.line, `${t.text}[…]() calls a function named by request input`);
  } else if (t.text === '(' && tokens[i - 1]?.kind !== 'ident' && tokens[i - 1]?.kind !== 'var' && tokens[i - 1]?.text !== ')' && tokens[i - 1]?.text !== ']') {
    const close = matchingClose(tokens, i);
    if (tokens[close + 1]?.text !== '(') return;
    const value = foldConstant(tokens, i + 1, close, vars)?.toLowerCase();
    const r = value ? ruleForCallee(value) : undefined;
    if (r) emit(r.rule, t.line, `a string-built call ${r.what}`);
  }
}

function checkInclude(tokens: PhpToken[], i: number, vars: Vars, emit: Emit): void {
  const t = tokens[i];
  let end = i + 1;
  let depth = 0;
  for (; end < tokens.length; end++) {
    const x = tokens[end].text;
    if (x === '(' || x === '[') depth++;
    else if (x === ')' || x === ']') {
      if (depth === 0) break;
      depth--;
    } else if ((x === ';' || x === ',') && depth === 0) break;
  }
  const folded = foldConstant(tokens, i + 1, end, vars);
  const literals = tokens.slice(i + 1, end).filter((x) => x.kind === 'string').map((x) => x.value ?? '');
  const remote = [folded ?? '', ...literals].find((s) => REMOTE_SCHEME.test(s));
  if (remote !== undefined) emit('remote-include', t.line, `${t.text.toLowerCase()} of a stream URL (${remote.trim().slice(0, 40)})`);
  else if (readsRequest(tokens, i + 1, end, vars)) emit('remote-include', t.line, `${t.text.toLowerCase()} of a path built from request input`);
  else if (usesDecoder(tokens, i + 1, end, vars)) emit('obfuscation', t.line, `${t.text.toLowerCase()} of a decoded path`);
}

function checkString(t: PhpToken, emit: Emit): void {
  const v = t.value ?? '';
  if (t.interpolated && /\$\{[^}]*\(/.test(t.text)) emit('dynamic-code', t.line, 'a function call inside ${…} string interpolation');
  if (v.length > 1000 && /^[A-Za-z0-9+/=\s]+$/.test(v) && /[A-Za-z]/.test(v) && !/^[0-9A-Fa-f\s]+$/.test(v) && !EMBEDDED_MEDIA.test(v.trimStart())) {
    emit('obfuscation', t.line, `a ${v.length}-character base64 blob`);
  } else if (v.length > 1000 && /^[0-9A-Fa-f\s]+$/.test(v)) {
    emit('obfuscation', t.line, `a ${v.length}-character hex blob`);
  }
  const escapes = t.escapes ?? 0;
  if (escapes >= 24 && escapes >= v.length * 0.6) emit('obfuscation', t.line, `a string of ${escapes} \\x/octal escapes`);
  else if (escapes > 0 && SUSPICIOUS_NAMES.has(v.toLowerCase())) emit('obfuscation', t.line, `the name ${v.toLowerCase()} hidden in escape sequences`);
}

/** Length and end of a `chr(N) . chr(N) . …` chain starting at `i`. */
function chrChain(tokens: PhpToken[], i: number): { count: number; end: number } {
  let count = 0;
  let k = i;
  while (functionName(tokens[k]) === 'chr' && tokens[k + 1]?.text === '(') {
    count++;
    k = matchingClose(tokens, k + 1) + 1;
    if (tokens[k]?.text !== '.') break;
    k++;
  }
  return { count, end: k };
}

/** Scans one PHP file. `file` is the path inside the package, used in the violations. */
export function scanPhpSource(file: string, source: string): PluginViolation[] {
  const tokens = tokenizePhp(source);
  const vars: Vars = new Map();
  const out: PluginViolation[] = [];
  const seen = new Set<string>();
  const emit: Emit = (rule, line, message) => {
    const key = `${rule}:${line}:${message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push({ rule, message, file, line });
    }
  };
  // Real plugins use a few visits per token; quadratic, deliberately pathological code runs out.
  setScanBudget(tokens, 200 * tokens.length + 100_000);
  try {
    scanTokens(tokens, vars, emit);
  } catch (err) {
    if (!(err instanceof ScanBudgetExceeded)) throw err;
    emit('obfuscation', 1, 'the file is too deeply nested or unbalanced to analyse; refused rather than trusted');
  }
  return out;
}

function scanTokens(tokens: PhpToken[], vars: Vars, emit: Emit): void {
  let chrSkipUntil = -1;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind === 'backtick') emit('shell-exec', t.line, 'backticks run a shell command');
    if (t.kind === 'string') checkString(t, emit);
    if (t.kind === 'var' && (tokens[i + 1]?.text === '=' || tokens[i + 1]?.text === '.=') && !isMemberAccess(tokens, i)) {
      recordAssignment(tokens, i, vars);
      const end = expressionEnd(tokens, i + 2);
      const value = vars.get(t.text)?.value?.toLowerCase();
      const assembled = end - (i + 2) > 1 || tokens[i + 1].text === '.=';
      if (value && assembled && SUSPICIOUS_NAMES.has(value)) emit('obfuscation', t.line, `${t.text} assembles the name ${value} from pieces`);
    }
    const name = functionName(t);
    if (name && INCLUDES.has(name) && !isMemberAccess(tokens, i)) checkInclude(tokens, i, vars, emit);
    else if (name && isGlobalCall(tokens, i)) {
      checkCall(tokens, i, vars, emit);
      if (name === 'chr' && i > chrSkipUntil) {
        const chain = chrChain(tokens, i);
        if (chain.count >= 6) emit('obfuscation', t.line, `a chain of ${chain.count} chr() calls builds a string`);
        chrSkipUntil = chain.end;
      }
    }
    checkDynamicCall(tokens, i, vars, emit);
  }
}

const PHP_EXTENSIONS = /\.(php[0-9]?|phtml|pht|phps|inc|module)$/i;
const PAYLOAD_EXTENSIONS = /\.(phar|so|dll|dylib|exe|cgi|elf)$/i;
const MEDIA_EXTENSIONS = /\.(png|jpe?g|gif|webp|bmp|ico|svg|woff2?|ttf|otf|eot|pdf|mp3|mp4|zip)$/i;

/**
 * Scans any file of a package: PHP is tokenized and checked, executable payloads are refused,
 * PHP hidden in media files is flagged, other text containing `<?php` is scanned as PHP (an
 * `include 'notes.txt'` would run it).
 */
export function scanPackageFile(file: string, content: Uint8Array): PluginViolation[] {
  const base = file.split('/').pop() ?? file;
  if (PAYLOAD_EXTENSIONS.test(base)) return [{ rule: 'executable-payload', message: `${base}: archives and native libraries the server could load are not allowed`, file }];
  if (base === '.user.ini' || base === 'php.ini') return [{ rule: 'executable-payload', message: `${base} would change PHP settings for the site (auto_prepend_file…)`, file }];
  if (content.length >= 4 && content[0] === 0x7f && content[1] === 0x45 && content[2] === 0x4c && content[3] === 0x46) {
    return [{ rule: 'executable-payload', message: 'an ELF executable', file }];
  }
  const text = new TextDecoder('utf-8', { fatal: false }).decode(content);
  const hasPhpTag = /<\?(php\b|=)/i.test(text);
  if (PHP_EXTENSIONS.test(base)) {
    const violations = scanPhpSource(file, text);
    if (!/\.php$/i.test(base) && /__halt_compiler\s*\(/i.test(text)) violations.push({ rule: 'executable-payload', message: 'a phar stub (__HALT_COMPILER) outside a .php file', file });
    return violations;
  }
  if (!hasPhpTag) return [];
  if (MEDIA_EXTENSIONS.test(base)) return [{ rule: 'obfuscation', message: `PHP code hidden inside ${base}`, file }];
  return scanPhpSource(file, text);
}
