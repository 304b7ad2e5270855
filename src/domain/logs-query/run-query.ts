/**
 * Runs a parsed query over records as they are read: the leading per-record commands (fields,
 * filter, parse, display) stream; then `stats` aggregates as it goes, or `sort … | limit N` keeps
 * only the best N, so memory stays bounded on a gigabyte of logs. What follows runs on the rows.
 * Without a `limit`, at most 1,000 rows come back, as in Logs Insights.
 */
import type { Command, NamedExpr, Query, SortKey } from './query-ast.js';
import { compileExpression, readField, type Evaluate, type LogRecord } from './compile-expression.js';
import { AGGREGATES, type Accumulator, type Value } from './functions.js';

export const DEFAULT_LIMIT = 1000;
export const DEFAULT_COLUMNS = ['@timestamp', '@message'];

export interface QueryResult {
  columns: string[];
  rows: Record<string, Value>[];
  /** Records that passed the leading per-record commands (the filters). */
  recordsMatched: number;
}

export interface QueryRun {
  /** Feeds one record; false when no more records can change the answer (a limit is reached). */
  accept(record: LogRecord): boolean;
  /** Feeds a part's run (createPartRun), parts in scan order; false as for accept. */
  merge(part: QueryPart): boolean;
  finish(): QueryResult;
}

/**
 * What one part of a scan (a byte range of a file, read by a worker thread) hands on: the records
 * that passed the per-record commands, cut to what can still matter — the best N of `sort … |
 * limit N`, the first N of `limit N` — and how many passed. Merged in scan order, the parts give
 * the answer a single run gives (a stable sort keeps the earlier of equal records, and every
 * record of the overall best N is among its own part's best N).
 */
export interface QueryPart {
  records: LogRecord[];
  recordsMatched: number;
}

export interface PartRun {
  accept(record: LogRecord): boolean;
  finish(): QueryPart;
}

type RowStep = (rows: LogRecord[]) => LogRecord[];
type RecordStep = (record: LogRecord) => boolean;

function recordStep(command: Command): RecordStep | null {
  switch (command.kind) {
    case 'filter': {
      const test = compileExpression(command.expr);
      return (r) => {
        const v = test(r);
        return v !== null && v !== undefined && v !== false && v !== 0 && v !== '';
      };
    }
    case 'fields':
    case 'display': {
      const computed = command.items.filter((i) => i.expr.kind !== 'field' || i.expr.name !== i.name).map((i) => [i.name, compileExpression(i.expr)] as const);
      return (r) => {
        for (const [name, f] of computed) r[name] = f(r);
        return true;
      };
    }
    case 'parse': {
      const source = compileExpression(command.source);
      const { pattern, names } = command;
      return (r) => {
        const v = source(r);
        const m = v === null || v === undefined ? null : pattern.exec(String(v));
        if (m) names.forEach((name, i) => (r[name] = m.groups?.[name] ?? m[i + 1]));
        return true;
      };
    }
    default:
      return null;
  }
}

function compareRows(keys: readonly { f: Evaluate; descending: boolean }[]): (a: LogRecord, b: LogRecord) => number {
  return (a, b) => {
    for (const k of keys) {
      const x = k.f(a);
      const y = k.f(b);
      if (x === y) continue;
      // Missing values sort last in either direction.
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0;
      if (c !== 0) return k.descending ? -c : c;
    }
    return 0;
  };
}

const sortKeysOf = (keys: SortKey[]) => keys.map((k) => ({ f: compileExpression(k.expr), descending: k.descending }));

function rowStep(command: Command): RowStep {
  const perRecord = recordStep(command);
  if (perRecord) return (rows) => rows.filter(perRecord);
  switch (command.kind) {
    case 'sort': {
      const cmp = compareRows(sortKeysOf(command.keys));
      return (rows) => rows.sort(cmp);
    }
    case 'limit':
      return (rows) => rows.slice(0, command.count);
    case 'dedup': {
      const fields = command.fields;
      return (rows) => {
        const seen = new Set<string>();
        return rows.filter((r) => {
          const key = JSON.stringify(fields.map((f) => readField(r, f) ?? null));
          return seen.has(key) ? false : (seen.add(key), true);
        });
      };
    }
    case 'stats':
      return (rows) => {
        const agg = createAggregation(command.aggregates, command.groups);
        for (const r of rows) agg.add(r);
        return agg.rows();
      };
    default:
      return (rows) => rows;
  }
}

function createAggregation(aggregates: NamedExpr[], groups: NamedExpr[]) {
  const groupFns = groups.map((g) => compileExpression(g.expr));
  const aggSpecs = aggregates.map((a) => {
    const call = a.expr as Extract<typeof a.expr, { kind: 'call' }>;
    return { name: a.name, fn: AGGREGATES[call.name], args: call.star ? [] : call.args.map(compileExpression) };
  });
  const buckets = new Map<string, { keys: Value[]; accs: Accumulator[] }>();
  return {
    add(r: LogRecord): void {
      const keys = groupFns.map((f) => f(r));
      const id = keys.length === 1 ? String(keys[0]) : JSON.stringify(keys);
      let b = buckets.get(id);
      if (!b) buckets.set(id, (b = { keys, accs: aggSpecs.map((s) => s.fn.create([])) }));
      for (let i = 0; i < aggSpecs.length; i++) b.accs[i].add(aggSpecs[i].args.map((a) => a(r)));
    },
    rows(): LogRecord[] {
      return [...buckets.values()].map((b) => {
        const row: LogRecord = {};
        groups.forEach((g, i) => (row[g.name] = b.keys[i] ?? null));
        aggSpecs.forEach((s, i) => (row[s.name] = b.accs[i].result() ?? null));
        return row;
      });
    },
  };
}

/** The columns shown: the last `display`, else every `fields` in order; after `stats`, its columns. */
function columnsOf(commands: readonly Command[]): string[] {
  let columns: string[] | null = null;
  for (const c of commands) {
    if (c.kind === 'display') columns = c.items.map((i) => i.name);
    else if (c.kind === 'fields') columns = [...new Set([...(columns ?? []), ...c.items.map((i) => i.name)])];
    else if (c.kind === 'stats') columns = [...c.groups.map((g) => g.name), ...c.aggregates.map((a) => a.name)];
  }
  return columns ?? DEFAULT_COLUMNS;
}

/** True when parts of a scan can be run apart (createPartRun): not for `stats`, whose part would keep every record. */
export function runsInParts(query: Query): boolean {
  return !query.commands.some((c) => c.kind === 'stats');
}

interface Stages {
  passes: (r: LogRecord) => boolean;
  /** Takes a record that passed; false when no more can change the answer. */
  collect: (r: LogRecord) => boolean;
  /** What was collected, before the row commands. */
  drain: () => LogRecord[];
  rest: readonly Command[];
}

function stagesOf(commands: readonly Command[]): Stages {
  let i = 0;
  const streaming: RecordStep[] = [];
  for (let step: RecordStep | null; i < commands.length && (step = recordStep(commands[i])); i++) streaming.push(step);
  const next = commands[i];
  const after = commands[i + 1];
  const passes = (r: LogRecord) => {
    for (const s of streaming) if (!s(r)) return false;
    return true;
  };
  // The stage that consumes the stream: aggregation, bounded top-N, or plain collection.
  if (next?.kind === 'stats') {
    const agg = createAggregation(next.aggregates, next.groups);
    return { passes, collect: (r) => (agg.add(r), true), drain: () => agg.rows(), rest: commands.slice(i + 1) };
  }
  if (next?.kind === 'sort') {
    const limit = after?.kind === 'limit' ? after.count : DEFAULT_LIMIT;
    const cmp = compareRows(sortKeysOf(next.keys));
    let kept: LogRecord[] = [];
    const collect = (r: LogRecord) => {
      kept.push(r);
      if (kept.length >= 2 * limit + 64) kept = kept.sort(cmp).slice(0, limit);
      return true;
    };
    return { passes, collect, drain: () => (kept = kept.sort(cmp).slice(0, limit)), rest: commands.slice(after?.kind === 'limit' ? i + 2 : i + 1) };
  }
  const limit = next?.kind === 'limit' ? next.count : DEFAULT_LIMIT;
  const kept: LogRecord[] = [];
  const collect = (r: LogRecord) => (kept.push(r), kept.length < limit || (next !== undefined && next.kind !== 'limit'));
  return { passes, collect, drain: () => kept, rest: commands.slice(i) };
}

export function createQueryRun(query: Query): QueryRun {
  const commands = query.commands;
  const { passes, collect, drain, rest } = stagesOf(commands);
  const steps = rest.map(rowStep);
  const columns = columnsOf(commands);
  const hasLimit = commands.some((c) => c.kind === 'limit');

  let recordsMatched = 0;
  let going = true;
  return {
    accept: (record) => (passes(record) ? (recordsMatched++, collect(record)) : true),
    merge(part) {
      let taken = 0;
      for (const r of part.records) {
        taken++;
        if (!(going = collect(r))) break;
      }
      // Stopped at a limit inside this part: a single run would have counted only what it took.
      recordsMatched += going ? part.recordsMatched : taken;
      return going;
    },
    finish() {
      let rows = drain();
      for (const s of steps) rows = s(rows);
      if (!hasLimit) rows = rows.slice(0, DEFAULT_LIMIT);
      return { columns, recordsMatched, rows: rows.map((r) => Object.fromEntries(columns.map((c) => [c, readField(r, c) ?? null]))) };
    },
  };
}

/** One part's run (see QueryPart). Throws for a query that does not run in parts (runsInParts). */
export function createPartRun(query: Query): PartRun {
  if (!runsInParts(query)) throw new Error('a stats query does not run in parts');
  const { passes, collect, drain } = stagesOf(query.commands);
  let recordsMatched = 0;
  return {
    accept: (record) => (passes(record) ? (recordsMatched++, collect(record)) : true),
    finish: () => ({ records: drain(), recordsMatched }),
  };
}
