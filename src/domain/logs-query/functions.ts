/**
 * The functions of the Logs Insights subset: scalar functions (evaluated per record) and the
 * aggregates of `stats`. Arity is checked by the parser, so errors carry a position.
 */
export type Value = string | number | boolean | null | undefined;

export interface ScalarFunction {
  arity: [number, number];
  apply(args: Value[], record: Readonly<Record<string, unknown>>): Value;
}

export interface Accumulator {
  add(values: Value[]): void;
  result(): Value;
}

export interface AggregateFunction {
  arity: [number, number];
  create(constants: Value[]): Accumulator;
}

export function toNumber(v: Value): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }
  if (typeof v === 'boolean') return v ? 1 : 0;
  return null;
}

/** Milliseconds since the epoch of a `@timestamp` (ISO string or epoch milliseconds). */
export function toMillis(v: Value): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isNaN(t) ? null : t;
  }
  return null;
}

const isPresent = (v: Value) => v !== null && v !== undefined;
const str = (v: Value) => (isPresent(v) ? String(v) : '');
const numeric = (f: (n: number) => number) => ({ arity: [1, 1] as [number, number], apply: ([v]: Value[]) => {
  const n = toNumber(v);
  return n === null ? null : f(n);
} });

export const FUNCTIONS: Readonly<Record<string, ScalarFunction>> = {
  /** `bin(5m)`: the start of the period that holds the record's @timestamp (ISO string). */
  bin: {
    arity: [1, 1],
    apply([period], record) {
      const ms = toMillis(record['@timestamp'] as Value);
      if (ms === null || typeof period !== 'number' || period <= 0) return null;
      return new Date(Math.floor(ms / period) * period).toISOString();
    },
  },
  abs: numeric(Math.abs),
  ceil: numeric(Math.ceil),
  floor: numeric(Math.floor),
  round: numeric(Math.round),
  strlen: { arity: [1, 1], apply: ([v]) => (isPresent(v) ? str(v).length : null) },
  tolower: { arity: [1, 1], apply: ([v]) => (isPresent(v) ? str(v).toLowerCase() : null) },
  toupper: { arity: [1, 1], apply: ([v]) => (isPresent(v) ? str(v).toUpperCase() : null) },
  trim: { arity: [1, 1], apply: ([v]) => (isPresent(v) ? str(v).trim() : null) },
  concat: { arity: [1, 32], apply: (args) => args.map(str).join('') },
  ispresent: { arity: [1, 1], apply: ([v]) => isPresent(v) },
  isempty: { arity: [1, 1], apply: ([v]) => !isPresent(v) || v === '' },
  coalesce: { arity: [1, 32], apply: (args) => args.find(isPresent) ?? null },
  substr: {
    arity: [2, 3],
    apply([v, from, length]) {
      if (!isPresent(v)) return null;
      const s = str(v);
      const start = toNumber(from) ?? 0;
      return length === undefined ? s.slice(start) : s.slice(start, start + (toNumber(length) ?? 0));
    },
  },
};

function numbersOf(add: (n: number) => void): (values: Value[]) => void {
  return ([v]) => {
    const n = toNumber(v);
    if (n !== null) add(n);
  };
}

/** Nearest-rank percentile, as CloudWatch reports `pct(x, 95)`. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export const AGGREGATES: Readonly<Record<string, AggregateFunction>> = {
  count: {
    arity: [0, 1],
    create() {
      let n = 0;
      return { add: (vals) => void (vals.length === 0 || isPresent(vals[0]) ? n++ : 0), result: () => n };
    },
  },
  count_distinct: {
    arity: [1, 1],
    create() {
      const seen = new Set<string>();
      return { add: ([v]) => void (isPresent(v) && seen.add(str(v))), result: () => seen.size };
    },
  },
  sum: {
    arity: [1, 1],
    create() {
      let s = 0;
      let any = false;
      return { add: numbersOf((n) => ((s += n), (any = true))), result: () => (any ? s : null) };
    },
  },
  avg: {
    arity: [1, 1],
    create() {
      let s = 0;
      let n = 0;
      return { add: numbersOf((x) => ((s += x), n++)), result: () => (n ? s / n : null) };
    },
  },
  min: {
    arity: [1, 1],
    create() {
      let m: number | null = null;
      return { add: numbersOf((x) => void (m = m === null || x < m ? x : m)), result: () => m };
    },
  },
  max: {
    arity: [1, 1],
    create() {
      let m: number | null = null;
      return { add: numbersOf((x) => void (m = m === null || x > m ? x : m)), result: () => m };
    },
  },
  pct: {
    arity: [2, 2],
    create() {
      const values: number[] = [];
      let p = 50;
      return {
        add: ([v, q]) => {
          const n = toNumber(v);
          if (n !== null) values.push(n);
          p = toNumber(q) ?? p;
        },
        result: () => percentile(values.sort((a, b) => a - b), p),
      };
    },
  },
  stddev: {
    arity: [1, 1],
    create() {
      let n = 0;
      let mean = 0;
      let m2 = 0;
      return {
        add: numbersOf((x) => {
          n++;
          const d = x - mean;
          mean += d / n;
          m2 += d * (x - mean);
        }),
        result: () => (n > 1 ? Math.sqrt(m2 / (n - 1)) : n === 1 ? 0 : null),
      };
    },
  },
  earliest: {
    arity: [1, 1],
    create() {
      let v: Value = null;
      let first = true;
      return { add: ([x]) => void (first && isPresent(x) && ((v = x), (first = false))), result: () => v };
    },
  },
  latest: {
    arity: [1, 1],
    create() {
      let v: Value = null;
      return { add: ([x]) => void (isPresent(x) && (v = x)), result: () => v };
    },
  },
};
