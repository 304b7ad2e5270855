/**
 * What a raw JSON line must contain for the query to possibly keep it, so that most lines are
 * dismissed with a substring search instead of a JSON.parse (the cost of a query over 1 GB).
 *
 * Only conjuncts of the leading `filter` commands count, and only two shapes, both conservative:
 * `field = "text"` (the line then holds `"text"` exactly as JSON writes it) and `field like /a|b/`
 * or `like "a"` whose alternatives are plain text (the line then holds one of them). Text with a
 * character JSON would escape, a case-insensitive regex, or a field a previous command computed
 * (fields … as, parse) adds nothing. Each entry: the line must contain one of these strings.
 */
import type { Expr, Query } from './query-ast.js';

const PLAIN = /^[\x20-\x7e]+$/;
const JSON_ESCAPED = /["\\]/;
const REGEX_ALTERNATIVES = /^[A-Za-z0-9 _:.,;=@#%&'!<>~-]+(?:\|[A-Za-z0-9 _:.,;=@#%&'!<>~-]+)*$/;

function conjuncts(expr: Expr): Expr[] {
  return expr.kind === 'binary' && expr.op === 'and' ? [...conjuncts(expr.left), ...conjuncts(expr.right)] : [expr];
}

function needlesOf(expr: Expr, computed: ReadonlySet<string>): string[] | null {
  const raw = (e: Expr) => e.kind === 'field' && !computed.has(e.name);
  if (expr.kind === 'binary' && expr.op === '=') {
    const [field, lit] = raw(expr.left) ? [expr.left, expr.right] : [expr.right, expr.left];
    if (!raw(field) || lit.kind !== 'literal' || typeof lit.value !== 'string') return null;
    // "404" also equals the number 404 and "true" the boolean: those lines hold no quotes.
    const loose = /^(true|false)$/.test(lit.value) || (lit.value.trim() !== '' && Number.isFinite(Number(lit.value)));
    return PLAIN.test(lit.value) && !JSON_ESCAPED.test(lit.value) && !loose ? [`"${lit.value}"`] : null;
  }
  if (expr.kind === 'match' && expr.op === 'like' && raw(expr.subject)) {
    const p = expr.pattern;
    if (p.kind === 'literal' && typeof p.value === 'string') return PLAIN.test(p.value) && !JSON_ESCAPED.test(p.value) ? [p.value] : null;
    if (p.kind === 'regex' && p.regex.flags === '' && REGEX_ALTERNATIVES.test(p.regex.source)) return p.regex.source.split('|');
  }
  return null;
}

export function lineNeedles(query: Query): string[][] {
  const out: string[][] = [];
  const computed = new Set<string>();
  for (const c of query.commands) {
    if (c.kind === 'filter') {
      for (const part of conjuncts(c.expr)) {
        const needles = needlesOf(part, computed);
        if (needles) out.push(needles);
      }
    } else if (c.kind === 'fields' || c.kind === 'display') {
      for (const item of c.items) if (item.expr.kind !== 'field' || item.expr.name !== item.name) computed.add(item.name);
    } else if (c.kind === 'parse') {
      for (const name of c.names) computed.add(name);
    } else break;
  }
  return out;
}
