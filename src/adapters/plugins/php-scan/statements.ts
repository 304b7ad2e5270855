/**
 * Statements and function bodies: branches and loops (assignments inside them merge with what was
 * there), allowlist guards that narrow a value (`in_array($m, ['a', 'b'], true)`,
 * `if (!in_array(…)) return;`, `$m === 'x'`, `isset($map[$m])`, `method_exists($this, $m)`),
 * declarations (properties, constants, `use function`), and the summaries of functions and closures.
 */
import { TERMINATING_CALLS } from './catalog.js';
import { assign, evaluate, type FnDecl, type Frame, lineOf, type Node, type PackageAnalysis, readVar, type Summary, writeVar } from './context.js';
import { carry, elements, fnName, join, lit, OPAQUE, untainted, type Val } from './value.js';

type Guards = Map<string, Val>;

const varName = (n: Node | undefined): string | undefined => (n?.kind === 'variable' && typeof n.name === 'string' ? n.name : undefined);
const callName = (n: Node | undefined): string | undefined => (n?.kind === 'call' && n.what?.kind === 'name' ? fnName(String(n.what.name)) : undefined);

/** What an allowlist says a value is: its known strings, or at least not request input. */
function allowed(list: Val, current: Val, keys: boolean): Val | undefined {
  if (list.taint) return undefined;
  const entries = list.items ? [...list.items].map(([k, v]) => (keys ? lit(k) : v)) : undefined;
  if (entries && entries.length && entries.every((e) => !e.open && e.strs.length)) return entries.reduce(join);
  return untainted(current);
}

/** Values narrowed by a condition being true. */
export function guardsOf(ctx: PackageAnalysis, f: Frame, test: Node | undefined): Guards {
  const out: Guards = new Map();
  if (!test) return out;
  const name = callName(test);
  const args = (test.arguments ?? []) as Node[];
  if ((name === 'in_array' || name === 'array_key_exists') && varName(args[0])) {
    const v = varName(args[0])!;
    const narrowed = allowed(evaluate(ctx, f, args[1]), readVar(ctx, f, v), name === 'array_key_exists');
    if (narrowed) out.set(v, narrowed);
  } else if (name === 'method_exists' && varName(args[1])) {
    const current = readVar(ctx, f, varName(args[1])!);
    out.set(varName(args[1])!, current.taint ? { ...untainted(current), methodGuard: current.taint } : current);
  } else if (test.kind === 'isset') {
    for (const item of (test.variables ?? []) as Node[]) {
      if (item.kind === 'offsetlookup' && varName(item.offset)) {
        const v = varName(item.offset)!;
        const narrowed = allowed(evaluate(ctx, f, item.what as Node), readVar(ctx, f, v), true);
        if (narrowed) out.set(v, narrowed);
      }
    }
  } else if (test.kind === 'bin' && (test.type === '===' || test.type === '==')) {
    const [a, b] = [test.left as Node, test.right as Node];
    const [v, other] = varName(a) ? [varName(a)!, b] : varName(b) ? [varName(b)!, a] : [undefined, undefined];
    const value = other ? evaluate(ctx, f, other) : undefined;
    if (v && value && !value.open && value.strs.length) out.set(v, value);
  } else if (test.kind === 'bin' && (test.type === '&&' || test.type === 'and')) {
    for (const [k, v] of [...guardsOf(ctx, f, test.left as Node), ...guardsOf(ctx, f, test.right as Node)]) out.set(k, v);
  } else if (test.kind === 'bin' && (test.type === '||' || test.type === 'or')) {
    const left = guardsOf(ctx, f, test.left as Node);
    const right = guardsOf(ctx, f, test.right as Node);
    for (const [k, v] of left) if (right.has(k)) out.set(k, join(v, right.get(k)!));
  }
  return out;
}

/** Runs `body` with the guarded variables narrowed, then lets them be either value again. */
export function withGuards<T>(ctx: PackageAnalysis, f: Frame, guards: Guards, body: () => T): T {
  const before = new Map([...guards.keys()].map((k) => [k, readVar(ctx, f, k)]));
  for (const [k, v] of guards) forceVar(ctx, f, k, v);
  try {
    return body();
  } finally {
    for (const [k, old] of before) forceVar(ctx, f, k, join(old, readVar(ctx, f, k)));
  }
}

function forceVar(ctx: PackageAnalysis, f: Frame, name: string, v: Val): void {
  const weak = f.weak;
  f.weak = 0;
  writeVar(ctx, f, name, v);
  f.weak = weak;
}

/** Does this statement always leave the block (return, exit, wp_die(), throw, continue)? */
function terminates(n: Node | undefined): boolean {
  if (!n) return false;
  if (n.kind === 'block') return terminates((n.children as Node[]).at(-1));
  if (['return', 'throw', 'continue', 'break'].includes(n.kind)) return true;
  const e = n.kind === 'expressionstatement' ? (n.expression as Node) : n;
  if (e.kind === 'exit' || e.kind === 'throw') return true;
  return TERMINATING_CALLS.has(callName(e) ?? '');
}

function branch(f: Frame, run: () => void): void {
  f.weak++;
  try {
    run();
  } finally {
    f.weak--;
  }
}

export function walkBlock(ctx: PackageAnalysis, f: Frame, nodes: (Node | null)[] | undefined): void {
  for (const n of nodes ?? []) if (n) walkStatement(ctx, f, n);
}

function walkIf(ctx: PackageAnalysis, f: Frame, n: Node): void {
  evaluate(ctx, f, n.test as Node);
  const guards = guardsOf(ctx, f, n.test as Node);
  branch(f, () => {
    withGuards(ctx, f, guards, () => walkStatement(ctx, f, n.body as Node));
    if (n.alternate) walkStatement(ctx, f, n.alternate as Node);
  });
  // `if (!in_array($m, ALLOWED)) { return; }`: past it, $m is one of ALLOWED.
  if (n.test?.kind === 'unary' && n.test.type === '!' && terminates(n.body as Node) && !n.alternate) {
    for (const [k, v] of guardsOf(ctx, f, n.test.what as Node)) forceVar(ctx, f, k, v);
  }
}

function walkLoop(ctx: PackageAnalysis, f: Frame, n: Node): void {
  branch(f, () => {
    for (let pass = 0; pass < 2; pass++) {
      if (n.kind === 'foreach') {
        const source = evaluate(ctx, f, n.source as Node);
        if (n.key) assign(ctx, f, n.key as Node, { ...OPAQUE, ...carry(source) });
        assign(ctx, f, n.value as Node, { ...elements(source), ...carry(source) });
      } else {
        for (const e of [...((n.init ?? []) as Node[]), ...((n.test ?? []) as Node[]), ...((n.increment ?? []) as Node[])]) evaluate(ctx, f, e);
        if (n.test && !Array.isArray(n.test)) evaluate(ctx, f, n.test as Node);
      }
      walkStatement(ctx, f, n.body as Node);
    }
  });
}

function walkSwitch(ctx: PackageAnalysis, f: Frame, n: Node): void {
  evaluate(ctx, f, n.test as Node);
  const v = varName(n.test as Node);
  branch(f, () => {
    for (const c of ((n.body?.children ?? []) as Node[])) {
      const value = c.test ? evaluate(ctx, f, c.test as Node) : undefined;
      const guards: Guards = v && value && !value.open && value.strs.length ? new Map([[v, value]]) : new Map();
      withGuards(ctx, f, guards, () => walkStatement(ctx, f, c.body as Node));
    }
  });
}

function walkClass(ctx: PackageAnalysis, f: Frame, n: Node): void {
  for (const member of (n.body ?? []) as Node[]) {
    if (member.kind === 'propertystatement') {
      for (const p of (member.properties ?? []) as Node[]) if (p.value) ctx.mergeInto(ctx.props, `${member.isStatic ? 's:' : ''}${String(p.name?.name ?? p.name).toLowerCase()}`, evaluate(ctx, f, p.value as Node));
    } else if (member.kind === 'classconstant') {
      for (const c of (member.constants ?? []) as Node[]) ctx.mergeInto(ctx.consts, `c:${String(c.name?.name ?? c.name).toLowerCase()}`, evaluate(ctx, f, c.value as Node));
    }
  }
}

export function walkStatement(ctx: PackageAnalysis, f: Frame, n: Node): void {
  ctx.tick();
  switch (n.kind) {
    case 'expressionstatement': evaluate(ctx, f, n.expression as Node); return;
    case 'echo': for (const e of (n.expressions ?? []) as Node[]) evaluate(ctx, f, e); return;
    case 'return': {
      const v = evaluate(ctx, f, n.expr as Node);
      if (f.summary) f.summary.ret = f.summary.ret === NO_RETURN ? v : join(f.summary.ret, v);
      return;
    }
    case 'if': walkIf(ctx, f, n); return;
    case 'while': case 'do': case 'for': case 'foreach': walkLoop(ctx, f, n); return;
    case 'switch': walkSwitch(ctx, f, n); return;
    case 'try':
      branch(f, () => {
        walkStatement(ctx, f, n.body as Node);
        for (const c of (n.catches ?? []) as Node[]) walkStatement(ctx, f, c.body as Node);
      });
      if (n.always) walkStatement(ctx, f, n.always as Node);
      return;
    case 'block': case 'program': case 'declare': walkBlock(ctx, f, n.children as Node[]); return;
    case 'namespace': {
      const ns = f.ns;
      f.ns = fnName(String(n.name ?? ''));
      walkBlock(ctx, f, n.children as Node[]);
      if (n.withBrackets) f.ns = ns;
      return;
    }
    case 'class': case 'trait': case 'enum': walkClass(ctx, f, n); return;
    case 'global': for (const v of (n.items ?? []) as Node[]) if (varName(v)) f.globalNames.add(varName(v)!); return;
    case 'static':
      for (const s of (n.variables ?? []) as Node[]) {
        const name = varName(s.variable as Node);
        if (name) writeVar(ctx, f, name, join(readVar(ctx, f, name), evaluate(ctx, f, s.defaultValue as Node)));
      }
      return;
    case 'constantstatement':
      for (const c of (n.constants ?? []) as Node[]) ctx.mergeInto(ctx.consts, String(c.name?.name ?? c.name).toLowerCase(), evaluate(ctx, f, c.value as Node));
      return;
    case 'function': case 'interface': case 'usegroup': case 'inline': case 'halt': case 'label': case 'goto': case 'break': case 'continue': case 'noop':
      return;
    case 'unset': return;
    default: evaluate(ctx, f, n);
  }
}

const NO_RETURN: Val = Object.freeze({ strs: [], open: false });

function paramValues(ctx: PackageAnalysis, f: Frame, params: Node[]): void {
  params.forEach((p, i) => {
    const name = String(p.name?.name ?? p.name);
    // A parameter typed WP_REST_Request is a request, whoever calls the function.
    const rest = /wp_rest_request$/i.test(String(p.type?.name ?? ''));
    const v: Val = { ...OPAQUE, params: [i], ...(rest ? { taint: `$${String(p.name?.name ?? p.name)} (WP_REST_Request)` } : {}) };
    f.vars.set(name, p.value ? join(v, evaluate(ctx, f, p.value as Node)) : v);
  });
}

function finish(ctx: PackageAnalysis, key: string, s: Summary): void {
  ctx.setSummary(key, { ret: s.ret === NO_RETURN ? lit('') : s.ret, flows: s.flows });
}

/** Walks a declared function or method with symbolic parameters and stores its summary. */
export function analyzeDeclaration(ctx: PackageAnalysis, d: FnDecl): void {
  const f: Frame = { file: d.file, vars: new Map(), globalNames: new Set(), isTop: false, weak: 0, ns: d.ns, uses: d.uses, summary: { ret: NO_RETURN, flows: [] } };
  if (d.isMethod) f.vars.set('this', { ...OPAQUE, cls: 'this' });
  paramValues(ctx, f, (d.node.arguments ?? []) as Node[]);
  walkStatement(ctx, f, d.node.body as Node ?? { kind: 'block', children: [] });
  finish(ctx, d.key, f.summary!);
}

/** Walks a closure or arrow function where it is written; returns the key of its summary. */
export function analyzeClosure(ctx: PackageAnalysis, outer: Frame, n: Node): string {
  const key = `closure:${outer.file}:${lineOf(n)}:${n.loc?.start.column ?? 0}`;
  const f: Frame = { file: outer.file, vars: new Map(), globalNames: new Set(), isTop: false, weak: 0, ns: outer.ns, uses: outer.uses, summary: { ret: NO_RETURN, flows: [] } };
  if (n.kind === 'arrowfunc') for (const [k, v] of outer.isTop ? ctx.globals : outer.vars) f.vars.set(k, v);
  for (const u of (n.uses ?? []) as Node[]) if (varName(u)) f.vars.set(varName(u)!, readVar(ctx, outer, varName(u)!));
  f.vars.set('this', readVar(ctx, outer, 'this'));
  paramValues(ctx, f, (n.arguments ?? []) as Node[]);
  if (n.kind === 'arrowfunc') f.summary!.ret = evaluate(ctx, f, n.body as Node);
  else walkStatement(ctx, f, n.body as Node);
  finish(ctx, key, f.summary!);
  return key;
}

/** Finds every function, method and `use function` of a file (declarations may sit inside `if`). */
export function collectDeclarations(ctx: PackageAnalysis, file: string, root: Node): Map<string, string> {
  const uses = new Map<string, string>();
  const visit = (n: Node, ns: string, cls: string | undefined): void => {
    if (n.kind === 'namespace') ns = fnName(String(n.name ?? ''));
    if (n.kind === 'usegroup') {
      for (const item of (n.items ?? []) as Node[]) {
        const target = fnName(`${n.name ? `${n.name}\\` : ''}${item.name}`);
        const alias = fnName(String(item.alias?.name ?? target.split('\\').pop()));
        if ((item.type ?? n.type) === 'function') uses.set(alias, target);
        else if (!(item.type ?? n.type) && alias !== target.split('\\').pop()) ctx.classAliases.set(alias, target.split('\\').pop()!);
      }
    }
    if (n.kind === 'function' || n.kind === 'method') {
      const name = String(n.name?.name ?? n.name).toLowerCase();
      const decl: FnDecl = { key: `${file}:${lineOf(n)}:${name}`, node: n, file, ns, uses, isMethod: n.kind === 'method' };
      const keys = n.kind === 'function' ? [`f:${name}`] : [`m:${name}`, ...(cls ? [`m:${cls}::${name}`] : [])];
      for (const k of keys) ctx.functions.set(k, [...(ctx.functions.get(k) ?? []), decl]);
    }
    const nextCls = ['class', 'trait', 'enum', 'interface'].includes(n.kind) ? String(n.name?.name ?? n.name ?? 'anonymous').toLowerCase() : cls;
    for (const [key, child] of Object.entries(n)) {
      if (key === 'loc' || !child || typeof child !== 'object') continue;
      for (const c of Array.isArray(child) ? child : [child]) if (c && typeof c === 'object' && typeof c.kind === 'string') visit(c as Node, ns, nextCls);
    }
  };
  visit(root, '', undefined);
  return uses;
}

export function newTopFrame(file: string, uses: Map<string, string>): Frame {
  return { file, vars: new Map(), globalNames: new Set(), isTop: true, weak: 0, ns: '', uses };
}

