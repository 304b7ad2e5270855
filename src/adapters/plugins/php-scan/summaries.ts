/**
 * Interprocedural step: a call of one of the package's functions (or methods, or closures) is
 * checked against its summary. Each parameter that reaches a sink inside it is checked with the
 * argument given here, and the result is the summarised return value with the arguments put in for
 * the parameters it depends on.
 */
import { reach, type Frame, type PackageAnalysis } from './context.js';
import { carry, join, joinAll, OPAQUE, type Val } from './value.js';

function substitute(ret: Val, args: Val[]): Val {
  if (!ret.params) return ret;
  const { params, ...own } = ret;
  return joinAll([own as Val, ...params.map((i) => args[i] ?? OPAQUE)]);
}

export function applySummary(ctx: PackageAnalysis, f: Frame, keys: string[], args: Val[], line: number, label: string): Val {
  const results: Val[] = [];
  for (const key of keys) {
    const s = ctx.summaries.get(key);
    if (!s) {
      results.push({ ...OPAQUE, ...carry(...args) });
      continue;
    }
    for (const flow of s.flows) {
      const arg = args[flow.param];
      if (arg) reach(ctx, f, flow.kind, arg, line, flow.sink, label);
    }
    results.push(substitute(s.ret, args));
  }
  return results.length ? results.reduce(join) : OPAQUE;
}
