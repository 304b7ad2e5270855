/**
 * Turns an expression tree into a closure over a record. Comparison is Logs Insights': numbers
 * compare as numbers when both sides read as numbers (`statusCode >= 400` on 404 or "404"),
 * otherwise as strings; a missing field compares false (and `!=` true only when present).
 */
import type { Expr } from './query-ast.js';
import { FUNCTIONS, toNumber, type Value } from './functions.js';

export type LogRecord = Record<string, unknown>;
export type Evaluate = (record: LogRecord) => Value;

/** A field by name: top level first (`@timestamp`, `a.b` as written), then a dotted path. */
export function readField(record: LogRecord, name: string): Value {
  const direct = record[name];
  if (direct !== undefined || !name.includes('.')) return asValue(direct);
  let cur: unknown = record;
  for (const part of name.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return asValue(cur);
}

function asValue(v: unknown): Value {
  if (v === null || v === undefined || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return JSON.stringify(v);
}

const present = (v: Value): v is string | number | boolean => v !== null && v !== undefined;

function compare(a: Value, b: Value): number | null {
  if (!present(a) || !present(b)) return null;
  const x = toNumber(a);
  const y = toNumber(b);
  if (x !== null && y !== null && (typeof a === 'number' || typeof b === 'number')) return x - y;
  const s = String(a);
  const t = String(b);
  return s < t ? -1 : s > t ? 1 : 0;
}

function truthy(v: Value): boolean {
  return v !== null && v !== undefined && v !== false && v !== 0 && v !== '';
}

export function compileExpression(expr: Expr): Evaluate {
  switch (expr.kind) {
    case 'literal': {
      const v = expr.value;
      return () => v;
    }
    case 'duration': {
      const ms = expr.ms;
      return () => ms;
    }
    case 'regex': {
      const source = expr.regex.source;
      return () => source;
    }
    case 'field': {
      const name = expr.name;
      return (r) => readField(r, name);
    }
    case 'list': {
      const items = expr.items.map(compileExpression);
      return (r) => JSON.stringify(items.map((f) => f(r)));
    }
    case 'call': {
      const fn = FUNCTIONS[expr.name];
      const args = expr.args.map(compileExpression);
      return (r) => fn.apply(args.map((a) => a(r)), r);
    }
    case 'unary': {
      const operand = compileExpression(expr.operand);
      if (expr.op === 'not') return (r) => !truthy(operand(r));
      return (r) => {
        const n = toNumber(operand(r));
        return n === null ? null : -n;
      };
    }
    case 'match':
      return compileMatch(expr);
    case 'in': {
      const subject = compileExpression(expr.subject);
      const items = (expr.list.kind === 'list' ? expr.list.items : []).map(compileExpression);
      const negated = expr.negated;
      return (r) => {
        const v = subject(r);
        if (!present(v)) return false;
        const found = items.some((item) => compare(v, item(r)) === 0);
        return negated ? !found : found;
      };
    }
    case 'binary':
      return compileBinary(expr);
  }
}

function compileMatch(expr: Extract<Expr, { kind: 'match' }>): Evaluate {
  const subject = compileExpression(expr.subject);
  const negated = expr.op === 'not like';
  if (expr.pattern.kind === 'regex') {
    const re = expr.pattern.regex;
    return (r) => {
      const v = subject(r);
      if (!present(v)) return negated ? true : false;
      return re.test(String(v)) !== negated;
    };
  }
  const needle = String((expr.pattern as { value: unknown }).value);
  return (r) => {
    const v = subject(r);
    if (!present(v)) return negated;
    return String(v).includes(needle) !== negated;
  };
}

function compileBinary(expr: Extract<Expr, { kind: 'binary' }>): Evaluate {
  const left = compileExpression(expr.left);
  const right = compileExpression(expr.right);
  switch (expr.op) {
    case 'and':
      return (r) => truthy(left(r)) && truthy(right(r));
    case 'or':
      return (r) => truthy(left(r)) || truthy(right(r));
    case '=':
      return (r) => compare(left(r), right(r)) === 0;
    case '!=':
      return (r) => {
        const c = compare(left(r), right(r));
        return c !== null && c !== 0;
      };
    case '<':
      return (r) => {
        const c = compare(left(r), right(r));
        return c !== null && c < 0;
      };
    case '<=':
      return (r) => {
        const c = compare(left(r), right(r));
        return c !== null && c <= 0;
      };
    case '>':
      return (r) => {
        const c = compare(left(r), right(r));
        return c !== null && c > 0;
      };
    case '>=':
      return (r) => {
        const c = compare(left(r), right(r));
        return c !== null && c >= 0;
      };
    default: {
      const op = expr.op;
      return (r) => {
        const a = toNumber(left(r));
        const b = toNumber(right(r));
        if (a === null || b === null) return null;
        const v = op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : op === '/' ? a / b : a % b;
        return Number.isFinite(v) ? v : null;
      };
    }
  }
}
