/**
 * State of one package's analysis: the functions and methods it declares, their summaries (what a
 * function returns, which parameters reach which sinks), the properties, constants and globals
 * written anywhere in it, and the violations found in the latest pass. A {@link Frame} is one function body (or a
 * file's top level) being walked.
 */
import { dangerOf, type SinkKind } from './sinks.js';
import { join, OPAQUE, type Val } from './value.js';

/** A php-parser AST node (the library's own types are classes without discriminated unions). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Node = { kind: string; loc?: { start: { line: number; column: number } } | null; [key: string]: any };

export interface Violation {
  rule: string;
  message: string;
  file: string;
  line: number;
}

/** A parameter of a function that reaches a sink inside it (or inside something it calls). */
export interface ParamFlow {
  param: number;
  kind: SinkKind;
  /** The sink as written, with where it is: "call_user_func() at inc/a.php:12". */
  sink: string;
}

export interface Summary {
  ret: Val;
  flows: ParamFlow[];
}

export interface FnDecl {
  /** Unique: file, line and name. */
  key: string;
  node: Node;
  file: string;
  /** Namespace the function is declared in (lowercase, '' for global). */
  ns: string;
  /** `use function X as Y` aliases of its file. */
  uses: Map<string, string>;
  isMethod: boolean;
}

export interface Frame {
  file: string;
  vars: Map<string, Val>;
  /** Names bound to the package's globals by `global $x` (the top level uses globals for every name). */
  globalNames: Set<string>;
  isTop: boolean;
  /** Inside a branch or loop: assignments merge with what was there. */
  weak: number;
  ns: string;
  uses: Map<string, string>;
  summary?: Summary;
}

export class AnalysisBudgetExceeded extends Error {}

export const lineOf = (n: Node | null | undefined): number => n?.loc?.start.line ?? 0;

/** A fingerprint of a value, to tell when a summary, property or global stopped changing. */
function sig(v: Val | undefined): string {
  if (!v) return '-';
  return `${v.strs.join('\u0001')}|${v.open}|${v.prefix ?? ''}|${v.suffix ?? ''}|${v.taint ?? ''}|${v.pathSafe ?? ''}|${v.decoded ?? ''}|${v.built ?? ''}|${v.params?.join(',') ?? ''}|${v.closure ?? ''}|${v.items ? [...v.items].map(([k, x]) => `${k}:${sig(x)}`).join(';') : ''}`;
}

function withoutParams(v: Val): Val {
  if (!v.params && !v.items && !v.target) return v;
  const { params: _p, ...rest } = v;
  return {
    ...rest,
    ...(v.items ? { items: new Map([...v.items].map(([k, x]) => [k, withoutParams(x)])) } : {}),
    ...(v.target ? { target: withoutParams(v.target) } : {}),
  };
}

/**
 * The expression evaluator, reached through the analysis: evaluation is mutually recursive
 * (an expression holds calls and closures, whose statements hold expressions), and passing it in
 * keeps the modules free of an import cycle — `expressions.ts` imports `calls.ts` and
 * `statements.ts`, which reach back only through {@link evaluate} and {@link assign}.
 */
export interface ExpressionEvaluator {
  evalExpr(ctx: PackageAnalysis, f: Frame, n: Node | null | undefined): Val;
  assignTo(ctx: PackageAnalysis, f: Frame, left: Node | null | undefined, v: Val): void;
  noteAssembled(ctx: PackageAnalysis, f: Frame, line: number, v: Val, how: string): void;
}

export class PackageAnalysis {
  readonly functions = new Map<string, FnDecl[]>();
  readonly summaries = new Map<string, Summary>();
  readonly props = new Map<string, Val>();
  readonly consts = new Map<string, Val>();
  readonly globals = new Map<string, Val>();
  /** `use X as Y` and `class_alias()`: alias → class (lowercase, no namespace). */
  readonly classAliases = new Map<string, string>();
  violations: Violation[] = [];
  private seen = new Set<string>();
  changed = false;
  private steps = 0;

  constructor(
    private readonly maxSteps: number,
    readonly evaluator: ExpressionEvaluator,
  ) {}

  /** Forgets what an earlier pass reported (it saw summaries that were not final yet). */
  startReport(): void {
    this.violations = [];
    this.seen = new Set();
  }

  tick(): void {
    if (++this.steps > this.maxSteps) throw new AnalysisBudgetExceeded();
  }

  report(rule: string, file: string, line: number, message: string): void {
    const key = `${file}:${line}:${rule}:${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.violations.push({ rule, message, file, line });
  }

  /** Merges a value into a package-wide store (properties, constants, globals), noting a change. */
  mergeInto(store: Map<string, Val>, key: string, value: Val, strong = false): void {
    // Parameter indexes mean something only inside their own function.
    const v = withoutParams(value);
    const old = store.get(key);
    const next = strong || !old ? v : join(old, v);
    if (sig(old) !== sig(next)) this.changed = true;
    store.set(key, next);
  }

  setSummary(key: string, s: Summary): void {
    const old = this.summaries.get(key);
    const fp = (x?: Summary) => (x ? `${sig(x.ret)}#${x.flows.map((f) => `${f.param}:${f.kind}:${f.sink}`).join(',')}` : '-');
    if (fp(old) !== fp(s)) this.changed = true;
    this.summaries.set(key, s);
  }

  /** The class a name in code means, after aliases (lowercase, last namespace segment). */
  className(raw: string): string {
    const short = raw.replace(/^\\+/, '').toLowerCase().split('\\').pop()!;
    return this.classAliases.get(short) ?? short;
  }

  declared(kind: 'f' | 'm', name: string): FnDecl[] {
    return this.functions.get(`${kind}:${name}`) ?? [];
  }
}

const VERBS: Record<SinkKind, string> = { callee: 'calls', include: 'loads', 'write-path': 'writes', method: 'calls', class: 'instantiates', unserialize: 'unserializes' };

/**
 * A value reaches a sink: report it when it is dangerous there, and when it carries a parameter of
 * the function being summarised, record the flow (callers are checked with their arguments).
 * `via` names the package function whose call led here, when the sink is inside it.
 */
export function reach(ctx: PackageAnalysis, f: Frame, kind: SinkKind, v: Val, line: number, sink: string, via?: string): void {
  const d = dangerOf(kind, v);
  if (d) ctx.report(d.rule, f.file, line, via ? `${via} passes ${d.what} to ${sink}` : `${sink} ${VERBS[kind]} ${d.what}`);
  if (v.params && f.summary) {
    const at = via ? sink : `${sink} at ${f.file}:${line}`;
    for (const param of v.params) {
      if (!f.summary.flows.some((x) => x.param === param && x.kind === kind && x.sink === at)) f.summary.flows.push({ param, kind, sink: at });
    }
  }
}

export function readVar(ctx: PackageAnalysis, f: Frame, name: string): Val {
  if (f.isTop || f.globalNames.has(name)) return ctx.globals.get(name) ?? OPAQUE;
  return f.vars.get(name) ?? OPAQUE;
}

export function writeVar(ctx: PackageAnalysis, f: Frame, name: string, v: Val): void {
  if (f.isTop || f.globalNames.has(name)) {
    ctx.mergeInto(ctx.globals, name, v, f.isTop && f.weak === 0);
    return;
  }
  const old = f.vars.get(name);
  f.vars.set(name, f.weak > 0 && old ? join(old, v) : v);
}

/** The value of an expression (see {@link ExpressionEvaluator}). */
export const evaluate = (ctx: PackageAnalysis, f: Frame, n: Node | null | undefined): Val => ctx.evaluator.evalExpr(ctx, f, n);
/** Assigns to an assignable expression (see {@link ExpressionEvaluator}). */
export const assign = (ctx: PackageAnalysis, f: Frame, left: Node | null | undefined, v: Val): void => ctx.evaluator.assignTo(ctx, f, left, v);
/** Reports a dangerous name built at run time (see {@link ExpressionEvaluator}). */
export const noteAssembledName = (ctx: PackageAnalysis, f: Frame, line: number, v: Val, how: string): void => ctx.evaluator.noteAssembled(ctx, f, line, v, how);
