/**
 * Evaluates PHP expressions to abstract values ({@link Val}): constants are folded, request input
 * is tracked from its sources (superglobals, `$GLOBALS`, variable variables) through variables,
 * arrays, properties and string builders, and sinks met on the way (includes, eval, backticks,
 * calls) are checked.
 */
import { ALL_SUPERGLOBALS, isRequestServerKey, REQUEST_SUPERGLOBALS, SERVER_SUPERGLOBALS, SUSPICIOUS_NAMES } from './catalog.js';
import { evalCall, evalNew } from './calls.js';
import { lineOf, reach, readVar, writeVar, type Frame, type Node, type PackageAnalysis } from './context.js';
import { stringFindings } from './heuristics.js';
import { analyzeClosure, guardsOf, withGuards } from './statements.js';
import { describeTaint } from './sinks.js';
import { carry, CLEAN, concat, elements, fnName, join, joinAll, lit, OPAQUE, single, type Val } from './value.js';

const MAX_DEPTH = 250;
let depth = 0;

export class TooDeeplyNested extends Error {}

const tainted = (source: string, v: Val = OPAQUE): Val => ({ ...v, taint: v.taint ?? source, pathSafe: false });

/** A superglobal or `$GLOBALS` read as a whole. */
function readNamed(ctx: PackageAnalysis, f: Frame, name: string): Val {
  if (REQUEST_SUPERGLOBALS.has(name) || SERVER_SUPERGLOBALS.has(name)) return tainted(`$${name}`);
  if (name === 'GLOBALS') return { ...OPAQUE, cls: '$globals' };
  if (name === 'this') return { ...OPAQUE, cls: 'this' };
  return readVar(ctx, f, name);
}

/** The name of a variable node when it is known: `$x`, `${'x'}`, `$$n` with `$n` known. */
function variableNames(ctx: PackageAnalysis, f: Frame, n: Node): string[] | undefined {
  if (typeof n.name === 'string') return [n.name];
  const v = evalExpr(ctx, f, n.name as Node);
  return v.open || !v.strs.length ? undefined : [...v.strs];
}

function readVariable(ctx: PackageAnalysis, f: Frame, n: Node): Val {
  const names = variableNames(ctx, f, n);
  if (!names) return tainted('a variable variable ($$…), which can name any superglobal');
  return joinAll(names.map((name) => readNamed(ctx, f, name)));
}

function keyText(k: Val): string {
  const s = single(k);
  return s === undefined ? '…' : `'${s.slice(0, 40)}'`;
}

function readOffset(ctx: PackageAnalysis, f: Frame, n: Node): Val {
  const base = n.what as Node;
  const key = n.offset ? evalExpr(ctx, f, n.offset as Node) : undefined;
  const k = key ? single(key) : undefined;
  const names = base.kind === 'variable' ? variableNames(ctx, f, base) : undefined;
  if (names?.length === 1) {
    const name = names[0];
    if (SERVER_SUPERGLOBALS.has(name)) return k === undefined || isRequestServerKey(k) ? tainted(`$${name}[${key ? keyText(key) : ''}]`) : OPAQUE;
    if (REQUEST_SUPERGLOBALS.has(name)) return tainted(`$${name}[${key ? keyText(key) : ''}]`);
    if (name === 'GLOBALS') {
      if (k === undefined) return tainted(`$GLOBALS[${key ? keyText(key) : ''}]`);
      if (ALL_SUPERGLOBALS.has(k)) return { ...readNamed(ctx, f, k), taint: REQUEST_SUPERGLOBALS.has(k) || SERVER_SUPERGLOBALS.has(k) ? `$GLOBALS['${k}']` : undefined };
      return ctx.globals.get(k) ?? OPAQUE;
    }
  }
  const b = evalExpr(ctx, f, base);
  if (b.items && k !== undefined) return b.items.get(k) ?? b.items.get('?') ?? { ...OPAQUE, ...carry(b) };
  if (k !== undefined && /^\d+$/.test(k)) {
    const s = single(b);
    if (s !== undefined) return lit(s.charAt(Number(k)));
  }
  return { ...elements(b), ...carry(b) };
}

function propertyName(ctx: PackageAnalysis, f: Frame, offset: Node): string | undefined {
  if (offset.kind === 'identifier') return String(offset.name).toLowerCase();
  const v = evalExpr(ctx, f, offset);
  return single(v)?.toLowerCase();
}

function readProperty(ctx: PackageAnalysis, f: Frame, n: Node): Val {
  const base = evalExpr(ctx, f, n.what as Node);
  const name = propertyName(ctx, f, n.offset as Node);
  const stored = name ? (ctx.props.get(name) ?? OPAQUE) : OPAQUE;
  return base.taint ? { ...stored, ...carry(base, stored) } : stored;
}

function readStatic(ctx: PackageAnalysis, n: Node): Val {
  const offset = n.offset as Node;
  if (offset.kind === 'identifier') {
    const name = String(offset.name).toLowerCase();
    if (name === 'class') return n.what?.kind === 'name' ? lit(String(n.what.name).replace(/^\\/, '')) : OPAQUE;
    return ctx.consts.get(`c:${name}`) ?? OPAQUE;
  }
  if (offset.kind === 'variable' && typeof offset.name === 'string') return ctx.props.get(`s:${offset.name.toLowerCase()}`) ?? OPAQUE;
  return OPAQUE;
}

/** Assigns `v` to an assignable expression: a variable, an array element, a property, a list. */
export function assignTo(ctx: PackageAnalysis, f: Frame, left: Node | null | undefined, v: Val): void {
  if (!left) return;
  switch (left.kind) {
    case 'variable': {
      const names = variableNames(ctx, f, left);
      if (names?.length === 1 && !ALL_SUPERGLOBALS.has(names[0]) && names[0] !== 'this') writeVar(ctx, f, names[0], v);
      return;
    }
    case 'offsetlookup': {
      const base = left.what as Node;
      const key = left.offset ? single(evalExpr(ctx, f, left.offset as Node)) : undefined;
      if (base.kind === 'variable' && base.name === 'GLOBALS') {
        if (key !== undefined) ctx.mergeInto(ctx.globals, key, v);
        return;
      }
      const old = evalExpr(ctx, f, base);
      const items = new Map(old.items ?? []);
      // `$a[] = v` appends at a known index only on a local array walked once; properties and
      // globals persist across the summary rounds, and would grow by one element a round.
      const local = base.kind === 'variable' && !f.isTop && typeof base.name === 'string' && !f.globalNames.has(base.name) && f.weak === 0;
      const k = key ?? (left.offset || !local || items.size >= 64 ? '?' : String(items.size));
      items.set(k, items.has(k) && (f.weak > 0 || k === '?') ? join(items.get(k)!, v) : v);
      assignTo(ctx, f, base, { ...old, items, ...(old.items ? {} : { strs: [], open: true }) });
      return;
    }
    case 'propertylookup':
    case 'nullsafepropertylookup': {
      const name = propertyName(ctx, f, left.offset as Node);
      if (name) ctx.mergeInto(ctx.props, name, v);
      return;
    }
    case 'staticlookup':
      if (left.offset?.kind === 'variable' && typeof left.offset.name === 'string') ctx.mergeInto(ctx.props, `s:${left.offset.name.toLowerCase()}`, v);
      return;
    case 'list':
    case 'array': {
      let index = 0;
      for (const item of (left.items ?? []) as (Node | null)[]) {
        if (!item) { index++; continue; }
        const entry = item.kind === 'entry' ? item : { kind: 'entry', key: null, value: item };
        const k = entry.key ? single(evalExpr(ctx, f, entry.key as Node)) : String(index++);
        const part = k !== undefined && v.items?.has(k) ? v.items.get(k)! : { ...elements(v), ...carry(v) };
        assignTo(ctx, f, entry.value as Node, part);
      }
      return;
    }
    case 'byref':
    case 'reference':
      assignTo(ctx, f, left.what as Node, v);
  }
}

function evalAssign(ctx: PackageAnalysis, f: Frame, n: Node): Val {
  const right = evalExpr(ctx, f, n.right as Node);
  let v: Val;
  if (n.operator === '=' || n.kind === 'assignref') v = right;
  else if (n.operator === '.=') v = concat(evalExpr(ctx, f, n.left as Node), right);
  else if (n.operator === '??=') v = join(evalExpr(ctx, f, n.left as Node), right);
  else v = CLEAN;
  if (n.operator === '.=') noteAssembled(ctx, f, lineOf(n), v, 'concatenation');
  assignTo(ctx, f, n.left as Node, v);
  return v;
}

function evalArray(ctx: PackageAnalysis, f: Frame, n: Node): Val {
  const items = new Map<string, Val>();
  let index = 0;
  for (const item of (n.items ?? []) as (Node | null)[]) {
    if (!item) continue;
    if (item.kind === 'entry' && item.unpack) {
      const spread = evalExpr(ctx, f, item.value as Node);
      for (const v of spread.items?.values() ?? [elements(spread)]) items.set(String(index++), v);
      continue;
    }
    const valueNode = item.kind === 'entry' ? (item.value as Node) : item;
    const v = evalExpr(ctx, f, valueNode);
    const key = item.kind === 'entry' && item.key ? single(evalExpr(ctx, f, item.key as Node)) ?? '?' : String(index++);
    items.set(key, items.has(key) && key === '?' ? join(items.get(key)!, v) : v);
  }
  return { strs: [], open: true, items };
}

/** A dangerous name that was assembled (concatenation, decoders, builders) rather than written. */
export function noteAssembled(ctx: PackageAnalysis, f: Frame, line: number, v: Val, how: string): void {
  const name = v.strs.map(fnName).find((s) => SUSPICIOUS_NAMES.has(s));
  if (name) ctx.report('obfuscation', f.file, line, `the name ${name} is assembled at run time (${how})`);
}

function evalString(ctx: PackageAnalysis, f: Frame, n: Node): Val {
  for (const m of stringFindings(String(n.value), String(n.raw ?? ''), !!n.isDoubleQuote)) ctx.report('obfuscation', f.file, lineOf(n), m);
  return lit(String(n.value));
}

function evalEncapsed(ctx: PackageAnalysis, f: Frame, n: Node): Val {
  const parts = ((n.value ?? []) as Node[]).map((p) => evalExpr(ctx, f, p.kind === 'encapsedpart' ? (p.expression as Node) : p));
  const v = parts.reduce(concat, lit(''));
  if (n.type === 'shell') ctx.report('shell-exec', f.file, lineOf(n), `backticks run a shell command${v.taint ? ` with ${describeTaint(v)}` : ''}`);
  return v;
}

function evalTernary(ctx: PackageAnalysis, f: Frame, n: Node): Val {
  const test = evalExpr(ctx, f, n.test as Node);
  const whenTrue = n.trueExpr ? withGuards(ctx, f, guardsOf(ctx, f, n.test as Node), () => evalExpr(ctx, f, n.trueExpr as Node)) : test;
  return join(whenTrue, evalExpr(ctx, f, n.falseExpr as Node));
}

const isTextual = (v: Val) => !v.open && v.strs.length > 0 && v.strs.every((s) => !/^-?\d+(\.\d+)?$/.test(s));

/** `'%13' ^ '`'`: PHP applies ^ | & byte by byte to two strings, a classic way to spell a function name. */
function bitwise(op: string, a: Val, b: Val, n: Node): Val {
  const numeric = (x: Node) => x?.kind === 'number' || x?.kind === 'name' || x?.kind === 'staticlookup';
  if (numeric(n.left as Node) || numeric(n.right as Node)) return CLEAN;
  if (!isTextual(a) || !isTextual(b)) return a.open || b.open ? { ...OPAQUE, ...carry(a, b), built: `the ${op} operator on strings` } : CLEAN;
  const apply = (x: string, y: string) => {
    const len = op === '|' ? Math.max(x.length, y.length) : Math.min(x.length, y.length);
    let out = '';
    for (let i = 0; i < len; i++) {
      const p = x.charCodeAt(i) || 0;
      const q = y.charCodeAt(i) || 0;
      out += String.fromCharCode(op === '^' ? p ^ q : op === '|' ? (i < x.length && i < y.length ? p | q : (x[i] ?? y[i]).charCodeAt(0)) : p & q);
    }
    return out;
  };
  const strs = a.strs.flatMap((x) => b.strs.map((y) => apply(x, y))).slice(0, 16);
  return { ...carry(a, b), strs, open: false, assembled: `the ${op} operator on strings` };
}

/** Visits every child expression (for constructs with no value of their own) and returns what they carry. */
function evalChildren(ctx: PackageAnalysis, f: Frame, n: Node): Val {
  const vals: Val[] = [];
  for (const [key, child] of Object.entries(n)) {
    if (key === 'loc' || !child || typeof child !== 'object') continue;
    for (const c of Array.isArray(child) ? child : [child]) if (c && typeof c === 'object' && typeof c.kind === 'string') vals.push(evalExpr(ctx, f, c as Node));
  }
  return { ...OPAQUE, ...carry(...vals) };
}

export function evalExpr(ctx: PackageAnalysis, f: Frame, n: Node | null | undefined): Val {
  if (!n) return OPAQUE;
  ctx.tick();
  if (++depth > MAX_DEPTH) {
    depth = 0;
    throw new TooDeeplyNested();
  }
  try {
    return evalNode(ctx, f, n);
  } finally {
    depth = Math.max(0, depth - 1);
  }
}

function evalNode(ctx: PackageAnalysis, f: Frame, n: Node): Val {
  switch (n.kind) {
    case 'string': return evalString(ctx, f, n);
    case 'nowdoc': return lit(String(n.value));
    case 'number': return lit(String(Number(String(n.value).replace(/_/g, '')) || n.value));
    case 'boolean': return lit(n.value ? '1' : '');
    case 'nullkeyword': return lit('');
    case 'magic': return OPAQUE;
    case 'encapsed': return evalEncapsed(ctx, f, n);
    case 'variable': return readVariable(ctx, f, n);
    case 'offsetlookup': return readOffset(ctx, f, n);
    case 'propertylookup':
    case 'nullsafepropertylookup': return readProperty(ctx, f, n);
    case 'staticlookup': return readStatic(ctx, n);
    case 'name': {
      const name = fnName(String(n.name)).split('\\').pop()!;
      if (name === 'true') return lit('1');
      if (name === 'false' || name === 'null') return lit('');
      return ctx.consts.get(name) ?? OPAQUE;
    }
    case 'bin': {
      const a = evalExpr(ctx, f, n.left as Node);
      const b = evalExpr(ctx, f, n.right as Node);
      if (n.type === '.') {
        const v = concat(a, b);
        if (!v.open && (a.strs.length && b.strs.length)) noteAssembled(ctx, f, lineOf(n), v, 'concatenation');
        if ((v.chrs ?? 0) >= 6 && (a.chrs ?? 0) + (b.chrs ?? 0) === v.chrs && Math.max(a.chrs ?? 0, b.chrs ?? 0) < 6) ctx.report('obfuscation', f.file, lineOf(n), 'a chain of chr() calls builds a string');
        return v;
      }
      if (n.type === '^' || n.type === '|' || n.type === '&') {
        const v = bitwise(String(n.type), a, b, n);
        if (!v.open) noteAssembled(ctx, f, lineOf(n), v, `the ${n.type} operator on strings`);
        return v;
      }
      return n.type === '??' || n.type === '?:' ? join(a, b) : CLEAN;
    }
    case 'unary': {
      const v = evalExpr(ctx, f, n.what as Node);
      if (n.type !== '~' || n.what?.kind === 'number') return CLEAN;
      return isTextual(v) ? { ...v, strs: v.strs.map((s) => [...s].map((c) => String.fromCharCode(~c.charCodeAt(0) & 255)).join('')), assembled: 'the ~ operator' } : { ...OPAQUE, ...carry(v), built: 'the ~ operator' };
    }
    case 'cast': {
      const v = evalExpr(ctx, f, n.expr as Node);
      return ['int', 'integer', 'float', 'double', 'bool', 'boolean', 'unset'].includes(String(n.type)) ? CLEAN : v;
    }
    case 'retif': return evalTernary(ctx, f, n);
    case 'assign':
    case 'assignref': return evalAssign(ctx, f, n);
    case 'array': return evalArray(ctx, f, n);
    case 'call': return evalCall(ctx, f, n);
    case 'new': return evalNew(ctx, f, n);
    case 'closure':
    case 'arrowfunc': return { strs: [], open: false, closure: analyzeClosure(ctx, f, n) };
    case 'include': {
      const path = evalExpr(ctx, f, n.target as Node);
      reach(ctx, f, 'include', path, lineOf(n), `${n.require ? 'require' : 'include'}${n.once ? '_once' : ''}`);
      return OPAQUE;
    }
    case 'eval': {
      const v = evalExpr(ctx, f, n.source as Node);
      const decoded = v.decoded ?? v.assembled;
      const rule = decoded ? 'eval-decoded' : v.taint ? 'request-input' : 'dynamic-code';
      const what = [decoded ? `data decoded at run time (${decoded})` : '', v.taint ? describeTaint(v) : '', !decoded && !v.taint ? 'code built at run time' : ''].filter(Boolean).join(' from ');
      ctx.report(rule, f.file, lineOf(n), `eval() runs ${what} as PHP`);
      return OPAQUE;
    }
    case 'isset': case 'empty': case 'post': case 'pre': case 'exit':
      evalChildren(ctx, f, n);
      return CLEAN;
    case 'silent': return evalExpr(ctx, f, n.expr as Node);
    case 'yield':
    case 'yieldfrom': {
      // A generator's caller iterates what it yields: its summary returns them as elements.
      const v = evalExpr(ctx, f, n.value as Node);
      if (f.summary) f.summary.ret = join(f.summary.ret, { strs: [], open: true, items: new Map([['?', n.kind === 'yieldfrom' ? elements(v) : v]]) });
      return OPAQUE;
    }
    case 'match': {
      evalExpr(ctx, f, n.cond as Node);
      return joinAll(((n.arms ?? []) as Node[]).map((arm) => evalExpr(ctx, f, arm.body as Node)));
    }
    default: return evalChildren(ctx, f, n);
  }
}
