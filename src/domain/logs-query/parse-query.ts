/**
 * A recursive-descent parser for the Logs Insights subset (query-ast.ts). No maintained npm
 * package parses this language (searched: none exists; general parser generators such as peggy
 * or chevrotain would still need this grammar written out), so it is small and hand-written, and
 * every error names its line and column (`LOGS_QUERY_INVALID`, details.line / details.column).
 *
 *   query   := command ('|' command)*
 *   command := fields|display items | filter expr | stats aggs [by items] | sort keys
 *            | limit N | parse expr (glob-string | /regex/) [as names] | dedup names
 *   expr    := or;  or := and ('or' and)*;  and := not ('and' not)*;  not := 'not' not | cmp
 *   cmp     := sum [(= != < <= > >=) sum | [not] like pat | =~ pat | [not] in list]
 *   sum     := prod (('+'|'-') prod)*;  prod := unary (('*'|'/'|'%') unary)*
 *   unary   := '-' unary | primary;  primary := number | duration | string | regex | field
 *            | name '(' args ')' | '(' expr ')' | '[' items ']'
 */
import type { Command, Expr, NamedExpr, Query, SortKey } from './query-ast.js';
import { DURATION_UNITS, QueryLexer, queryError, type Token } from './tokenize-query.js';
import { AGGREGATES, FUNCTIONS } from './functions.js';

const COMMANDS = ['fields', 'display', 'filter', 'stats', 'sort', 'limit', 'parse', 'dedup'];
const COMPARISONS = new Set(['=', '!=', '<', '<=', '>', '>=']);
const KEYWORDS = new Set(['and', 'or', 'not', 'like', 'in', 'as', 'by', 'asc', 'desc']);
export const MAX_LIMIT = 10_000;
type WithoutSpan<T> = T extends unknown ? Omit<T, 'start' | 'end'> : never;

export function parseQuery(text: string): Query {
  const parser = new Parser(text);
  return { text, commands: parser.query() };
}

/** `/ab/i`, `/(?i)ab/`: Logs Insights writes case-insensitivity as a leading `(?i)`. */
function toRegExp(text: string, token: Token): RegExp {
  let source = token.value;
  let flags = token.flags ?? '';
  if (source.startsWith('(?i)')) (source = source.slice(4)), (flags += 'i');
  try {
    return new RegExp(source, [...new Set(flags)].join(''));
  } catch (err) {
    throw queryError(text, token.start, `invalid regular expression: ${(err as Error).message}`, token.text);
  }
}

/** A `parse` glob: `*` captures, everything else is literal (as in Logs Insights). */
function globToRegExp(glob: string): RegExp {
  return new RegExp(glob.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('(.*?)') + (glob.endsWith('*') ? '$' : ''));
}

class Parser {
  private readonly lex: QueryLexer;

  constructor(private readonly text: string) {
    this.lex = new QueryLexer(text);
  }

  private fail(token: Token, message: string): never {
    throw queryError(this.text, token.start, message, token.kind === 'eof' ? '<end of query>' : token.text);
  }

  private isWord(token: Token, word: string): boolean {
    return token.kind === 'ident' && token.value.toLowerCase() === word && token.text === token.value;
  }

  private isOp(token: Token, op: string): boolean {
    return token.kind === 'op' && token.value === op;
  }

  private expectOp(op: string, what: string): Token {
    const t = this.lex.next();
    if (!this.isOp(t, op)) this.fail(t, `expected ${what}`);
    return t;
  }

  query(): Command[] {
    const commands: Command[] = [];
    for (;;) {
      commands.push(this.command());
      const t = this.lex.next();
      if (t.kind === 'eof') return commands;
      if (!this.isOp(t, '|')) this.fail(t, 'expected | between commands or the end of the query');
    }
  }

  private command(): Command {
    const t = this.lex.next();
    const name = t.kind === 'ident' ? t.value.toLowerCase() : '';
    const start = t.start;
    const done = (c: WithoutSpan<Command>): Command => ({ ...c, start, end: this.lex.peek().start }) as Command;
    switch (COMMANDS.includes(name) ? name : '') {
      case 'fields':
      case 'display':
        return done({ kind: name as 'fields', items: this.namedList(false) });
      case 'filter':
        return done({ kind: 'filter', expr: this.expr() });
      case 'stats': {
        const aggregates = this.namedList(true);
        let groups: NamedExpr[] = [];
        if (this.isWord(this.lex.peek(), 'by')) (this.lex.next(), (groups = this.namedList(false)));
        return done({ kind: 'stats', aggregates, groups });
      }
      case 'sort':
        return done({ kind: 'sort', keys: this.sortKeys() });
      case 'limit': {
        const n = this.lex.next();
        const count = Number(n.value);
        if (n.kind !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_LIMIT) this.fail(n, `limit takes a whole number from 1 to ${MAX_LIMIT}`);
        return done({ kind: 'limit', count });
      }
      case 'parse':
        return this.parseCommand(start);
      case 'dedup':
        return done({ kind: 'dedup', fields: this.names() });
      default:
        return this.fail(t, `expected a command (${COMMANDS.join(', ')})`);
    }
  }

  private parseCommand(start: number): Command {
    const source = this.expr();
    let p = this.lex.peek();
    if (this.isOp(p, '/')) p = this.lex.rescanRegex();
    else this.lex.next();
    if (p.kind === 'regex') {
      const pattern = toRegExp(this.text, p);
      const groups = /\(\?<([A-Za-z_][A-Za-z0-9_]*)>/g;
      const names = [...p.value.matchAll(groups)].map((m) => m[1]);
      if (names.length === 0) this.fail(p, 'a parse regular expression names its fields with (?<name>…)');
      return { kind: 'parse', source, pattern, names, start, end: this.lex.peek().start };
    }
    if (p.kind !== 'string') this.fail(p, 'parse takes a "glob with *" or a /regular expression/');
    const stars = p.value.split('*').length - 1;
    if (stars === 0) this.fail(p, 'a parse glob captures with *');
    const as = this.lex.next();
    if (!this.isWord(as, 'as')) this.fail(as, `expected "as" and ${stars} field name(s)`);
    const at = this.lex.peek();
    const names = this.names();
    if (names.length !== stars) this.fail(at, `the glob has ${stars} * but ${names.length} name(s) follow "as"`);
    return { kind: 'parse', source, pattern: globToRegExp(p.value), names, start, end: this.lex.peek().start };
  }

  private name(): string {
    const t = this.lex.next();
    if (t.kind !== 'ident' || KEYWORDS.has(t.value)) this.fail(t, 'expected a field name');
    return t.value;
  }

  private names(): string[] {
    const out = [this.name()];
    while (this.isOp(this.lex.peek(), ',') && this.lex.next()) out.push(this.name());
    return out;
  }

  private namedList(aggregates: boolean): NamedExpr[] {
    const out: NamedExpr[] = [];
    do {
      const expr = this.expr();
      if (aggregates && !(expr.kind === 'call' && AGGREGATES[expr.name])) {
        throw queryError(this.text, expr.start, `stats takes aggregate functions (${Object.keys(AGGREGATES).join(', ')})`, this.text.slice(expr.start, expr.end));
      }
      let name = this.text.slice(expr.start, expr.end).replace(/\s+/g, ' ');
      if (this.isWord(this.lex.peek(), 'as')) {
        this.lex.next();
        name = this.name();
      }
      out.push({ expr, name });
    } while (this.isOp(this.lex.peek(), ',') && this.lex.next());
    return out;
  }

  private sortKeys(): SortKey[] {
    const out: SortKey[] = [];
    do {
      const expr = this.expr();
      const name = this.text.slice(expr.start, expr.end).replace(/\s+/g, ' ');
      const dir = this.lex.peek();
      // Logs Insights sorts descending unless told otherwise.
      let descending = true;
      if (this.isWord(dir, 'asc') || this.isWord(dir, 'desc')) descending = this.lex.next().value.toLowerCase() === 'desc';
      out.push({ expr, name, descending });
    } while (this.isOp(this.lex.peek(), ',') && this.lex.next());
    return out;
  }

  expr(): Expr {
    return this.binaryLevel(['or'], () => this.binaryLevel(['and'], () => this.notExpr()));
  }

  private binaryLevel(ops: string[], operand: () => Expr): Expr {
    let left = operand();
    for (;;) {
      const t = this.lex.peek();
      const op = ops.find((o) => (t.kind === 'op' ? t.value === o : this.isWord(t, o)));
      if (!op) return left;
      this.lex.next();
      const right = operand();
      left = { kind: 'binary', op: op as 'and', left, right, start: left.start, end: right.end };
    }
  }

  private notExpr(): Expr {
    const t = this.lex.peek();
    if (this.isWord(t, 'not')) {
      this.lex.next();
      const operand = this.notExpr();
      return { kind: 'unary', op: 'not', operand, start: t.start, end: operand.end };
    }
    return this.comparison();
  }

  private comparison(): Expr {
    const left = this.binaryLevel(['+', '-'], () => this.binaryLevel(['*', '/', '%'], () => this.unary()));
    let t = this.lex.peek();
    if (t.kind === 'op' && COMPARISONS.has(t.value)) {
      this.lex.next();
      const right = this.binaryLevel(['+', '-'], () => this.binaryLevel(['*', '/', '%'], () => this.unary()));
      return { kind: 'binary', op: t.value as '=', left, right, start: left.start, end: right.end };
    }
    let negated = false;
    if (this.isWord(t, 'not')) {
      this.lex.next();
      negated = true;
      t = this.lex.peek();
      if (!this.isWord(t, 'like') && !this.isWord(t, 'in')) this.fail(t, 'expected "like" or "in" after "not"');
    }
    if (this.isWord(t, 'like') || this.isOp(t, '=~')) {
      this.lex.next();
      const pattern = this.pattern(t.value === '=~');
      return { kind: 'match', op: t.value === '=~' ? '=~' : negated ? 'not like' : 'like', subject: left, pattern, start: left.start, end: pattern.end };
    }
    if (this.isWord(t, 'in')) {
      this.lex.next();
      const list = this.unary();
      if (list.kind !== 'list') throw queryError(this.text, list.start, 'in takes a list: [value, …]');
      return { kind: 'in', negated, subject: left, list, start: left.start, end: list.end };
    }
    return left;
  }

  private pattern(regexOnly: boolean): Expr {
    let t = this.lex.peek();
    if (this.isOp(t, '/')) t = this.lex.rescanRegex();
    else this.lex.next();
    if (t.kind === 'regex') return { kind: 'regex', regex: toRegExp(this.text, t), start: t.start, end: t.end };
    if (t.kind === 'string' && !regexOnly) return { kind: 'literal', value: t.value, start: t.start, end: t.end };
    return this.fail(t, regexOnly ? 'expected a /regular expression/' : 'expected a /regular expression/ or a "string"');
  }

  private unary(): Expr {
    const t = this.lex.peek();
    if (this.isOp(t, '-')) {
      this.lex.next();
      const operand = this.unary();
      return { kind: 'unary', op: '-', operand, start: t.start, end: operand.end };
    }
    return this.primary();
  }

  private primary(): Expr {
    let t = this.lex.peek();
    if (this.isOp(t, '/')) t = this.lex.rescanRegex();
    else this.lex.next();
    const span = { start: t.start, end: t.end };
    switch (t.kind) {
      case 'number':
        return { kind: 'literal', value: Number(t.value), ...span };
      case 'duration':
        return { kind: 'duration', ms: Number(t.value) * DURATION_UNITS[t.flags!], text: t.text, ...span };
      case 'string':
        return { kind: 'literal', value: t.value, ...span };
      case 'regex':
        return { kind: 'regex', regex: toRegExp(this.text, t), ...span };
      case 'ident': {
        if (KEYWORDS.has(t.value.toLowerCase()) && t.text === t.value) this.fail(t, 'expected a value, a field or a function');
        if (!this.isOp(this.lex.peek(), '(')) return { kind: 'field', name: t.value, ...span };
        return this.call(t);
      }
      case 'op':
        if (t.value === '(') {
          const inner = this.expr();
          const close = this.expectOp(')', ') to close (');
          return { ...inner, start: t.start, end: close.end };
        }
        if (t.value === '[') {
          const items: Expr[] = [];
          if (!this.isOp(this.lex.peek(), ']')) do items.push(this.expr()); while (this.isOp(this.lex.peek(), ',') && this.lex.next());
          const close = this.expectOp(']', '] to close the list');
          return { kind: 'list', items, start: t.start, end: close.end };
        }
        return this.fail(t, 'expected a value, a field or a function');
      default:
        return this.fail(t, 'expected a value, a field or a function');
    }
  }

  private call(nameToken: Token): Expr {
    const name = nameToken.value.toLowerCase();
    if (!AGGREGATES[name] && !FUNCTIONS[name]) this.fail(nameToken, `unknown function "${nameToken.value}"`);
    this.lex.next(); // (
    const args: Expr[] = [];
    let star = false;
    if (this.isOp(this.lex.peek(), '*')) (this.lex.next(), (star = true));
    else if (!this.isOp(this.lex.peek(), ')')) do args.push(this.expr()); while (this.isOp(this.lex.peek(), ',') && this.lex.next());
    const close = this.expectOp(')', `) to close ${name}(`);
    const arity = (AGGREGATES[name] ?? FUNCTIONS[name]).arity;
    const n = star ? 1 : args.length;
    if (n < arity[0] || n > arity[1]) this.fail(nameToken, `${name}() takes ${arity[0] === arity[1] ? arity[0] : `${arity[0]} to ${arity[1]}`} argument(s)`);
    if (star && name !== 'count') this.fail(nameToken, `only count(*) takes *`);
    return { kind: 'call', name, args, star, start: nameToken.start, end: close.end };
  }
}
