/**
 * The syntax tree of a CloudWatch Logs Insights query: the subset that seed 000's eight queries
 * and the issue's operators need. Every node keeps its source offsets, so that errors found after
 * parsing (an unknown function, a bad argument) still name the position.
 */
export interface Span {
  start: number;
  end: number;
}

export type Literal = string | number | boolean | null;

export type Expr =
  | ({ kind: 'literal'; value: Literal } & Span)
  | ({ kind: 'duration'; ms: number; text: string } & Span)
  | ({ kind: 'regex'; regex: RegExp } & Span)
  | ({ kind: 'field'; name: string } & Span)
  | ({ kind: 'list'; items: Expr[] } & Span)
  | ({ kind: 'call'; name: string; args: Expr[]; star: boolean } & Span)
  | ({ kind: 'unary'; op: '-' | 'not'; operand: Expr } & Span)
  | ({ kind: 'binary'; op: BinaryOp; left: Expr; right: Expr } & Span)
  | ({ kind: 'match'; op: 'like' | 'not like' | '=~'; subject: Expr; pattern: Expr } & Span)
  | ({ kind: 'in'; negated: boolean; subject: Expr; list: Expr } & Span);

export type BinaryOp = 'and' | 'or' | '=' | '!=' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/' | '%';

export interface NamedExpr {
  expr: Expr;
  /** The column name: the alias, else the expression's source text. */
  name: string;
}

export interface SortKey {
  expr: Expr;
  name: string;
  descending: boolean;
}

export type Command =
  | ({ kind: 'fields'; items: NamedExpr[] } & Span)
  | ({ kind: 'display'; items: NamedExpr[] } & Span)
  | ({ kind: 'filter'; expr: Expr } & Span)
  | ({ kind: 'stats'; aggregates: NamedExpr[]; groups: NamedExpr[] } & Span)
  | ({ kind: 'sort'; keys: SortKey[] } & Span)
  | ({ kind: 'limit'; count: number } & Span)
  | ({ kind: 'parse'; source: Expr; pattern: RegExp; names: string[] } & Span)
  | ({ kind: 'dedup'; fields: string[] } & Span);

export interface Query {
  text: string;
  commands: Command[];
}
