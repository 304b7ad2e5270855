/**
 * Calls: PHP's dangerous functions, request-input sources, string builders (folded), callbacks,
 * dynamic calls (`$f()`, `$obj->$m()`, `new $c`), reflection, and calls of the package's own
 * functions and methods through their summaries.
 */
import { CALLBACK_ARGS, CLEANSERS, CODE_FUNCTIONS, DECODERS, FILE_WRITERS, isRequestServerKey, PATH_SANITIZERS, SHELL_FUNCTIONS, SOURCE_FUNCTIONS, SOURCE_METHODS } from './catalog.js';
import { assign, evaluate, type Frame, lineOf, type Node, noteAssembledName, type PackageAnalysis, reach } from './context.js';
import { foldCall, foldPregReplace } from './fold.js';
import { hasEvalModifier } from './heuristics.js';
import { describeTaint, writeDanger } from './sinks.js';
import { checkEscapeHatch, modelledResult } from './builtins.js';
import { applySummary } from './summaries.js';
import { carry, CLEAN, elements, fnName, join, joinAll, lit, OPAQUE, prefixOf, single, suffixOf, type Val } from './value.js';

const tainted = (source: string): Val => ({ ...OPAQUE, taint: source });
const withInput = (v: Val) => (v.taint ? ` with ${describeTaint(v)}` : '');

function evalArgs(ctx: PackageAnalysis, f: Frame, n: Node): Val[] {
  return ((n.arguments ?? []) as Node[]).map((a) => {
    if (a.kind === 'variadicplaceholder') return OPAQUE;
    if (a.kind === 'spread') return elements(evaluate(ctx, f, a.what as Node));
    if (a.kind === 'namedargument') return evaluate(ctx, f, a.value as Node);
    return evaluate(ctx, f, a);
  });
}

/** Resolves a called name as PHP does: `use function` aliases, then the namespace's own function, then the global one. */
function resolveName(ctx: PackageAnalysis, f: Frame, what: Node): { name: string; user: boolean } {
  const raw = String(what.name);
  const lower = fnName(raw);
  if (what.resolution === 'uqn' && f.uses.has(lower)) return { name: f.uses.get(lower)!.split('\\').pop()!, user: false };
  const short = lower.split('\\').pop()!;
  const user = ctx.declared('f', short).length > 0 && (raw.includes('\\') && !raw.startsWith('\\') ? true : ctx.declared('f', short).some((d) => d.ns === f.ns || (lower.includes('\\') && lower.startsWith(d.ns))));
  return { name: short, user };
}

/** A callable value reaches something that will call it. */
export function reachCallable(ctx: PackageAnalysis, f: Frame, v: Val, line: number, sink: string): void {
  if (v.items && (v.items.has('0') || v.items.has('1'))) {
    const target = v.items.get('0');
    const method = v.items.get('1');
    if (target && single(target) !== undefined) reach(ctx, f, 'class', target, line, sink);
    if (method) reach(ctx, f, 'method', method, line, sink);
    return;
  }
  if (v.closure && !v.open && !v.strs.length) return;
  reach(ctx, f, 'callee', v, line, sink);
  const s = single(v);
  if (s?.includes('::')) reach(ctx, f, 'method', { ...v, strs: [s.split('::').pop()!] }, line, sink);
}

/** Calls what a callable value may be: the package's functions it names, the closure it is. */
function callValue(ctx: PackageAnalysis, f: Frame, callee: Val, args: Val[], line: number, label: string): Val {
  const results: Val[] = [];
  if (callee.closure) results.push(applySummary(ctx, f, [callee.closure], args, line, label));
  const invoke = callee.cls ? ctx.declared('m', `${callee.cls}::__invoke`) : [];
  if (invoke.length) results.push(applySummary(ctx, f, invoke.map((d) => d.key), args, line, `${label} through __invoke()`));
  const method = callee.items?.get('1');
  for (const m of method?.strs ?? []) {
    const decls = ctx.declared('m', m.toLowerCase());
    if (decls.length) results.push(applySummary(ctx, f, decls.map((d) => d.key), args, line, `${m}()`));
  }
  for (const s of callee.strs) {
    const decls = ctx.declared('f', fnName(s).split('\\').pop()!);
    if (decls.length) results.push(applySummary(ctx, f, decls.map((d) => d.key), args, line, `${fnName(s)}()`));
  }
  return results.length ? joinAll(results) : { ...OPAQUE, ...carry(...args) };
}

function checkDangerousBuiltin(ctx: PackageAnalysis, f: Frame, name: string, n: Node, args: Val[]): Val | undefined {
  const line = lineOf(n);
  const file = f.file;
  if (SHELL_FUNCTIONS.has(name)) {
    ctx.report('shell-exec', file, line, `${name}() runs a shell command${withInput(joinAll(args))}`);
    return OPAQUE;
  }
  if (CODE_FUNCTIONS.has(name)) {
    const code = args[name === 'assert' ? 0 : 1] ?? OPAQUE;
    const first = (n.arguments ?? [])[0] as Node | undefined;
    const stringy = name === 'create_function' || ['string', 'encapsed', 'nowdoc'].includes(first?.kind ?? '') || (code.strs.length > 0 && !code.open) || code.taint || code.decoded;
    if (!stringy) return CLEAN;
    const rule = code.taint ? 'request-input' : code.decoded || code.assembled ? 'eval-decoded' : 'dynamic-code';
    ctx.report(rule, file, line, `${name}() runs ${code.taint ? describeTaint(code) : code.decoded ? `decoded data (${code.decoded})` : 'a string'} as PHP`);
    return OPAQUE;
  }
  if (name === 'preg_replace' || name === 'preg_filter') {
    const patterns = elements(args[0] ?? OPAQUE);
    if (patterns.strs.some(hasEvalModifier)) ctx.report('dynamic-code', file, line, `${name}() with the /e modifier runs the replacement as PHP`);
    else if (patterns.taint && !fixedModifiers(patterns)) ctx.report('request-input', file, line, `${name}() takes its pattern (and so the /e modifier) from ${describeTaint(patterns)}`);
    else if (patterns.decoded) ctx.report('eval-decoded', file, line, `${name}() with a pattern decoded at run time (${patterns.decoded}) can hide the /e modifier`);
    const folded = foldPregReplace(args);
    if (folded) noteAssembledName(ctx, f, line, folded, `${name}()`);
    return folded ?? { ...OPAQUE, ...carry(...args), built: `${name}()` };
  }
  if (name === 'mb_ereg_replace' || name === 'mb_eregi_replace' || name === 'mb_regex_set_options') {
    const options = args[name === 'mb_regex_set_options' ? 0 : 3];
    if (options && (options.strs.some((s) => s.includes('e')) || options.taint)) ctx.report('dynamic-code', file, line, `${name}() with the "e" option runs the replacement as PHP`);
    return { ...OPAQUE, ...carry(...args) };
  }
  // The fifth argument goes to sendmail's command line (-X writes a log anywhere: CVE-2016-10033).
  if ((name === 'mail' || name === 'mb_send_mail') && args[4] && (args[4].taint || args[4].decoded)) {
    ctx.report('shell-exec', file, line, `${name}() passes ${args[4].taint ? describeTaint(args[4]) : `decoded data (${args[4].decoded})`} to the sendmail command line (fifth argument)`);
  }
  if (name === 'extract' && args[0]?.taint) ctx.report('request-input', file, line, `extract() turns ${describeTaint(args[0])} into variables`);
  if (name === 'parse_str') {
    if (args.length < 2 && args[0]?.taint) ctx.report('request-input', file, line, `parse_str() without a result array turns ${describeTaint(args[0])} into variables`);
    if (n.arguments?.[1]) assign(ctx, f, n.arguments[1] as Node, { ...OPAQUE, ...carry(args[0] ?? OPAQUE) });
    return CLEAN;
  }
  if (name === 'unserialize' && args[0]) reach(ctx, f, 'unserialize', args[0], line, 'unserialize()');
  const written = name === 'fwrite' || name === 'fputs' ? args[1] : name === 'file_put_contents' ? args[1] : undefined;
  if (written && [...elements(written).strs, prefixOf(written)].some((s) => /<\?(php|=)/i.test(s))) ctx.report('php-file-write', file, line, `${name}() writes PHP code (<?php …) to a file`);
  const writer = FILE_WRITERS[name];
  if (writer && args[writer.path]) {
    const mode = name === 'fopen' ? args[1] : undefined;
    const writes = name !== 'fopen' || !mode || mode.open || mode.strs.some((m) => /[waxc+]/.test(m));
    const data = writer.data !== undefined ? args[writer.data] : name === 'move_uploaded_file' ? (args[0] ?? OPAQUE) : undefined;
    const d = writes ? writeDanger(args[writer.path], data) : undefined;
    if (d) ctx.report(d.rule, file, line, `${name}() writes ${d.what}`);
    if (writes) reach(ctx, f, 'write-path', { ...args[writer.path], taint: undefined, strs: [], suffix: undefined }, line, `${name}()`);
  }
  return undefined;
}

/** A pattern whose end is a constant delimiter and modifiers without `e`: `'/' . preg_quote($q, '/') . '/i'`. */
function fixedModifiers(patterns: Val): boolean {
  const m = /[^A-Za-z0-9\\\s]([A-Za-z]*)$/.exec(suffixOf(patterns));
  return !!m && !m[1].includes('e') && patterns.strs.every((s) => !hasEvalModifier(s));
}

function sourceOf(name: string, args: Val[]): Val | undefined {
  if (SOURCE_FUNCTIONS.has(name)) return tainted(`${name}()`);
  if (name === 'getenv') {
    const k = args[0] ? single(args[0]) : undefined;
    return k === undefined || isRequestServerKey(k) ? tainted(`getenv(${k === undefined ? '' : `'${k}'`})`) : OPAQUE;
  }
  if (['file_get_contents', 'file', 'fopen', 'readfile', 'stream_get_contents', 'fread', 'fgets', 'simplexml_load_file'].includes(name) && args[0]?.strs.some((s) => /^php:\/\/(input|stdin)/i.test(s))) {
    return tainted(`${name}('php://input')`);
  }
  return undefined;
}

/** Callbacks given to a function: check each and, for the ones PHP calls with our data, follow into them. */
function checkCallbacks(ctx: PackageAnalysis, f: Frame, name: string, n: Node, args: Val[]): void {
  const at = CALLBACK_ARGS[name];
  if (name === 'preg_replace_callback_array' && args[0]) reachCallable(ctx, f, elements(args[0]), lineOf(n), `${name}()`);
  if (name === 'assert_options' && args[1]) reachCallable(ctx, f, args[1], lineOf(n), 'assert_options()');
  if (at === undefined) return;
  const line = lineOf(n);
  const callbacks = at === -1 ? args.slice(1).flatMap((a) => [a, ...['callback', 'permission_callback'].flatMap((k) => (a.items?.get(k) ? [a.items.get(k)!] : []))]) : [args[at]].filter(Boolean);
  for (const cb of callbacks) reachCallable(ctx, f, cb, line, `${name}()`);
  const cb = args[at === -1 ? 1 : at];
  if (!cb) return;
  const passed = name === 'call_user_func' ? args.slice(1) : name === 'call_user_func_array' ? [...(args[1]?.items?.values() ?? [elements(args[1] ?? OPAQUE)])] : name === 'array_map' ? [elements(args[1] ?? OPAQUE)] : ['array_walk', 'array_filter', 'usort'].includes(name) ? [elements(args[0] ?? OPAQUE)] : undefined;
  if (passed) callValue(ctx, f, cb, passed, line, `${name}()`);
  // WordPress calls these with what a visitor or a post's author wrote.
  if (name === 'register_rest_route') {
    for (const a of args.slice(2)) {
      const route = a.items?.get('callback');
      if (route) callValue(ctx, f, route, [{ ...OPAQUE, taint: 'the WP_REST_Request of a REST route' }], line, 'register_rest_route()');
    }
  }
  if (name === 'add_shortcode') callValue(ctx, f, cb, [{ ...OPAQUE, taint: 'shortcode attributes, which any post author writes' }, { ...OPAQUE, taint: 'shortcode content' }], line, 'add_shortcode()');
  if ((name === 'add_action' || name === 'add_filter') && args[0] && single(args[0]) !== undefined) ctx.mergeInto(ctx.props, `hook:${single(args[0])}`, cb);
}

/** `do_action('x', $a)` / `apply_filters('x', $v, $a)` call what `add_action('x', …)` registered with those arguments. */
function runHooks(ctx: PackageAnalysis, f: Frame, name: string, args: Val[], line: number): Val | undefined {
  if (!['do_action', 'apply_filters', 'do_action_ref_array', 'apply_filters_ref_array'].includes(name) || !args[0] || single(args[0]) === undefined) return undefined;
  const hooked = ctx.props.get(`hook:${single(args[0])}`);
  if (!hooked) return undefined;
  const passed = name.endsWith('_ref_array') ? [...(args[1]?.items?.values() ?? [elements(args[1] ?? OPAQUE)])] : args.slice(1);
  const result = callValue(ctx, f, hooked, passed, line, `${name}('${single(args[0])}')`);
  return name.startsWith('apply_filters') ? join(args[1] ?? OPAQUE, result) : OPAQUE;
}

export function evalCall(ctx: PackageAnalysis, f: Frame, n: Node): Val {
  const what = n.what as Node;
  const line = lineOf(n);
  // `strlen(...)`, `$this->m(...)`: a first-class callable, not a call.
  const firstClass = n.arguments?.length === 1 && n.arguments[0].kind === 'variadicplaceholder';
  if (what.kind === 'name') {
    const { name, user } = resolveName(ctx, f, what);
    if (firstClass) {
      if (!user) reachCallable(ctx, f, lit(name), line, `${name}(...)`);
      return lit(name);
    }
    const args = evalArgs(ctx, f, n);
    if (user) return applySummary(ctx, f, ctx.declared('f', name).map((d) => d.key), args, line, `${name}()`);
    return evalBuiltin(ctx, f, name, n, args);
  }
  if (what.kind === 'propertylookup' || what.kind === 'nullsafepropertylookup' || what.kind === 'staticlookup') return evalMethodCall(ctx, f, n, what);
  const callee = evaluate(ctx, f, what);
  const args = evalArgs(ctx, f, n);
  const label = what.kind === 'variable' && typeof what.name === 'string' ? `$${what.name}()` : 'a dynamic call';
  reachCallable(ctx, f, callee, line, label);
  if (firstClass) return callee;
  return callValue(ctx, f, callee, args, line, label);
}

function evalBuiltin(ctx: PackageAnalysis, f: Frame, name: string, n: Node, args: Val[]): Val {
  const danger = checkDangerousBuiltin(ctx, f, name, n, args);
  checkCallbacks(ctx, f, name, n, args);
  if (danger) return danger;
  if (checkEscapeHatch(ctx, f, name, args, lineOf(n))) return OPAQUE;
  const source = sourceOf(name, args);
  if (source) return source;
  const modelled = modelledResult(ctx, f, name, args);
  if (modelled) return modelled;
  if (name === 'define' && args[0] && single(args[0]) !== undefined) ctx.mergeInto(ctx.consts, single(args[0])!.toLowerCase(), args[1] ?? OPAQUE);
  if (name === 'constant' && args[0] && single(args[0]) !== undefined) return ctx.consts.get(single(args[0])!.toLowerCase().replace(/^.*::/, 'c:')) ?? OPAQUE;
  const hooked = runHooks(ctx, f, name, args, lineOf(n));
  if (hooked) return hooked;
  if (name === 'apply_filters') return join(args[1] ?? OPAQUE, { ...OPAQUE, ...carry(...args.slice(2)) });
  if (name === 'closure::fromcallable') return args[0] ?? OPAQUE;
  if (CLEANSERS.has(name)) return CLEAN;
  if (PATH_SANITIZERS.has(name)) {
    const v = { ...OPAQUE, ...carry(...args) };
    return v.taint ? { ...v, pathSafe: true } : v;
  }
  const folded = foldCall(name, args);
  if (folded) {
    if (!folded.open) noteAssembledName(ctx, f, lineOf(n), folded, `${name}()`);
    return folded;
  }
  if (DECODERS.has(name)) return { ...OPAQUE, ...carry(...args), decoded: `${name}()` };
  return { ...OPAQUE, ...carry(...args) };
}

function evalMethodCall(ctx: PackageAnalysis, f: Frame, n: Node, what: Node): Val {
  const line = lineOf(n);
  const isStatic = what.kind === 'staticlookup';
  const baseNode = what.what as Node;
  const evaluated = baseNode.kind === 'name' ? undefined : evaluate(ctx, f, baseNode);
  const base = evaluated === undefined ? { ...OPAQUE, cls: ctx.className(String(baseNode.name)) } : single(evaluated) !== undefined ? { ...evaluated, cls: ctx.className(single(evaluated)!) } : evaluated;
  if (isStatic && baseNode.kind !== 'name' && !['self', 'static', 'parent'].includes(String(baseNode.name))) reach(ctx, f, 'class', base, line, `${baseNode.kind === 'variable' ? `$${String(baseNode.name)}` : 'a class expression'}::…()`);
  const offset = what.offset as Node;
  let method: string | undefined;
  if (offset.kind === 'identifier') method = String(offset.name).toLowerCase();
  else {
    const m = evaluate(ctx, f, offset);
    reach(ctx, f, 'method', m, line, `${offset.kind === 'variable' ? `->$${String(offset.name)}` : '->{…}'}()`);
    method = single(m)?.toLowerCase();
  }
  const args = evalArgs(ctx, f, n);
  if (!method) return { ...OPAQUE, ...carry(...args) };
  if (isStatic && base.cls === 'ffi' && (method === 'cdef' || method === 'load' || method === 'scope')) {
    ctx.report('shell-exec', f.file, line, `FFI::${method}() calls C library functions (system(), execve()) directly`);
    return { ...OPAQUE, cls: 'ffi' };
  }
  if (isStatic && base.cls === 'closure' && method === 'fromcallable') {
    reachCallable(ctx, f, args[0] ?? OPAQUE, line, 'Closure::fromCallable()');
    return args[0] ?? OPAQUE;
  }
  if ((base.cls === 'reflectionfunction' || base.cls === 'reflectionmethod') && /^invoke/.test(method) && base.target) reachCallable(ctx, f, base.target, line, `${base.cls === 'reflectionfunction' ? 'ReflectionFunction' : 'ReflectionMethod'}::${method}()`);
  if (SOURCE_METHODS.has(method)) return tainted(`->${method}()`);
  if (/^get_(var|row|col|results)$/.test(method)) return { ...OPAQUE, ...carry(...args), stored: `the database ($wpdb->${method}())` };
  if (method === 'put_contents' && args[0]) {
    const d = writeDanger(args[0], args[1]);
    if (d) ctx.report(d.rule, f.file, line, `$wp_filesystem->put_contents() writes ${d.what}`);
  }
  const decls = ctx.declared('m', method);
  if (decls.length) return applySummary(ctx, f, decls.map((d) => d.key), args, line, `${method}()`);
  // A method nobody declares goes to __call()/__callStatic() with its name and arguments.
  const magic = ctx.declared('m', isStatic ? '__callstatic' : '__call');
  if (magic.length) return applySummary(ctx, f, magic.map((d) => d.key), [lit(method), { strs: [], open: true, items: new Map(args.map((a, i) => [String(i), a])) }], line, `->${method}() through ${isStatic ? '__callStatic' : '__call'}()`);
  return { ...OPAQUE, ...carry(...args) };
}

export function evalNew(ctx: PackageAnalysis, f: Frame, n: Node): Val {
  const what = n.what as Node;
  const line = lineOf(n);
  const args = evalArgs(ctx, f, n);
  if (what.kind === 'class') return { ...OPAQUE, cls: 'anonymous' };
  if (what.kind !== 'name') {
    const cls = evaluate(ctx, f, what);
    reach(ctx, f, 'class', cls, line, 'new');
    return { ...OPAQUE, ...(single(cls) ? { cls: single(cls)!.toLowerCase() } : {}) };
  }
  const cls = ctx.className(String(what.name));
  if (cls === 'ffi') ctx.report('shell-exec', f.file, line, 'new FFI() calls C library functions directly');
  if (cls === 'reflectionfunction') reachCallable(ctx, f, args[0] ?? OPAQUE, line, 'new ReflectionFunction()');
  if (cls === 'reflectionmethod') {
    if (args.length >= 2) reachCallable(ctx, f, { ...OPAQUE, items: new Map([['0', args[0]], ['1', args[1]]]) }, line, 'new ReflectionMethod()');
    else reachCallable(ctx, f, args[0] ?? OPAQUE, line, 'new ReflectionMethod()');
  }
  if (cls === 'reflectionclass' && args[0]) reach(ctx, f, 'class', args[0], line, 'new ReflectionClass()');
  if (cls === 'splfileobject' && args[0] && (!args[1] || args[1].open || args[1].strs.some((m) => /[waxc+]/.test(m)))) {
    const d = writeDanger(args[0]);
    if (d) ctx.report(d.rule, f.file, line, `new SplFileObject() writes ${d.what}`);
  }
  const decls = ctx.declared('m', `${cls}::__construct`);
  if (decls.length) applySummary(ctx, f, decls.map((d) => d.key), args, line, `new ${cls}()`);
  return { ...OPAQUE, cls, ...(cls.startsWith('reflection') ? { target: args[0] ?? OPAQUE } : {}) };
}
