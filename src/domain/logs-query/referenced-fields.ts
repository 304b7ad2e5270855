/**
 * The fields a query reads: with them known, a log line needs only those values, not a whole
 * JSON.parse (adapters/logs/line-fields.ts). Null when that cannot be known or used: a dotted
 * name (a nested field) is read from the whole record.
 */
import type { Command, Expr, Query } from './query-ast.js';
import { DEFAULT_COLUMNS } from './run-query.js';

function collect(expr: Expr, out: Set<string>): void {
  switch (expr.kind) {
    case 'field':
      out.add(expr.name);
      return;
    case 'list':
      return expr.items.forEach((e) => collect(e, out));
    case 'call':
      if (expr.name === 'bin') out.add('@timestamp');
      return expr.args.forEach((e) => collect(e, out));
    case 'unary':
      return collect(expr.operand, out);
    case 'binary':
      return (collect(expr.left, out), collect(expr.right, out));
    case 'match':
      return (collect(expr.subject, out), collect(expr.pattern, out));
    case 'in':
      return (collect(expr.subject, out), collect(expr.list, out));
    default:
      return;
  }
}

function exprsOf(c: Command): Expr[] {
  switch (c.kind) {
    case 'fields':
    case 'display':
      return c.items.map((i) => i.expr);
    case 'filter':
      return [c.expr];
    case 'stats':
      return [...c.aggregates, ...c.groups].map((i) => i.expr);
    case 'sort':
      return c.keys.map((k) => k.expr);
    case 'parse':
      return [c.source];
    default:
      return [];
  }
}

export function referencedFields(query: Query): string[] | null {
  const out = new Set<string>(['@timestamp']);
  if (!query.commands.some((c) => c.kind === 'fields' || c.kind === 'display' || c.kind === 'stats')) DEFAULT_COLUMNS.forEach((f) => out.add(f));
  for (const c of query.commands) {
    if (c.kind === 'dedup') c.fields.forEach((f) => out.add(f));
    for (const e of exprsOf(c)) collect(e, out);
  }
  return [...out].some((f) => f.includes('.')) ? null : [...out];
}
