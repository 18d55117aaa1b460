import type { Span } from "../text/source.js";

export type BinaryOperator = "+" | "-" | "*" | "/" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "and" | "or" | "??";

interface Node {
  span: Span;
}

export interface NumberNode extends Node {
  kind: "number";
  value: number;
  /** as written, so the formatter keeps `100_000` readable */
  text: string;
}
export interface PercentNode extends Node {
  kind: "percent";
  /** the fraction: 40% is 0.4 */
  value: number;
  text: string;
}
export interface StringNode extends Node {
  kind: "string";
  value: string;
}
export interface BoolNode extends Node {
  kind: "bool";
  value: boolean;
}
export interface NullNode extends Node {
  kind: "null";
}
export interface DateNode extends Node {
  kind: "date";
  /** days since 1970-01-01 */
  value: number;
  text: string;
}
export interface DateTimeNode extends Node {
  kind: "datetime";
  /** milliseconds since the epoch */
  value: number;
  text: string;
}
export interface DurationNode extends Node {
  kind: "duration";
  days: number;
  months: number;
  text: string;
}
/** A name, possibly dotted: `logins_30d`, `health.adoption`. */
export interface RefNode extends Node {
  kind: "ref";
  path: string[];
  /** the span of each path segment, for precise diagnostics and rename */
  segmentSpans: Span[];
}
export interface UnaryNode extends Node {
  kind: "unary";
  op: "-" | "not";
  operand: Expr;
}
export interface BinaryNode extends Node {
  kind: "binary";
  op: BinaryOperator;
  left: Expr;
  right: Expr;
}
export interface RangeNode extends Node {
  kind: "range";
  low: Expr;
  high: Expr;
}
export interface InNode extends Node {
  kind: "in";
  negated: boolean;
  value: Expr;
  /** a list literal or a range */
  set: Expr;
}
export interface ListNode extends Node {
  kind: "list";
  items: Expr[];
}
export interface CallNode extends Node {
  kind: "call";
  name: string;
  nameSpan: Span;
  args: Expr[];
  /**
   * `where <condition>` after the arguments of an event aggregate: which
   * events count, by their properties (`count("ticket", 90d, where priority == "urgent")`).
   * Its names are the event's properties, not the playbook's, so `walkExpr` does not enter it.
   */
  filter?: Expr;
}
/** `bands(nps) { 9..10: 100, 7..8: 60, else: 0 }` */
export interface BandsNode extends Node {
  kind: "bands";
  value: Expr;
  cases: { match: Expr; score: Expr }[];
  otherwise: Expr | undefined;
}
/** Stands where the parser recovered from a syntax error. */
export interface ErrorNode extends Node {
  kind: "error";
}

export type Expr =
  | NumberNode
  | PercentNode
  | StringNode
  | BoolNode
  | NullNode
  | DateNode
  | DateTimeNode
  | DurationNode
  | RefNode
  | UnaryNode
  | BinaryNode
  | RangeNode
  | InNode
  | ListNode
  | CallNode
  | BandsNode
  | ErrorNode;

/** Visits every node of an expression, parents before children. */
export function walkExpr(expr: Expr, visit: (node: Expr) => void): void {
  visit(expr);
  switch (expr.kind) {
    case "unary":
      walkExpr(expr.operand, visit);
      break;
    case "binary":
      walkExpr(expr.left, visit);
      walkExpr(expr.right, visit);
      break;
    case "range":
      walkExpr(expr.low, visit);
      walkExpr(expr.high, visit);
      break;
    case "in":
      walkExpr(expr.value, visit);
      walkExpr(expr.set, visit);
      break;
    case "list":
      for (const item of expr.items) walkExpr(item, visit);
      break;
    case "call":
      for (const arg of expr.args) walkExpr(arg, visit);
      break;
    case "bands":
      walkExpr(expr.value, visit);
      for (const c of expr.cases) {
        walkExpr(c.match, visit);
        walkExpr(c.score, visit);
      }
      if (expr.otherwise) walkExpr(expr.otherwise, visit);
      break;
    default:
      break;
  }
}
