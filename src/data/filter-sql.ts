import type { Expr } from "../expression/ast.js";
import type { Type } from "../expression/types.js";
import { sqlNumber, type Sql } from "./sql.js";

/**
 * Compiles an event aggregate's `where` condition to SQL, from its checked
 * tree. Property names become the SQL the caller gives for them; texts are
 * bound parameters; only numbers the parser read are written out. The
 * checker allowed only what this covers (see `FILTER_FUNCTIONS`).
 */
export function filterSql(expr: Expr, types: ReadonlyMap<Expr, Type>, sql: Sql, property: (name: string) => string): string {
  const gen = (node: Expr): string => {
    switch (node.kind) {
      case "number":
      case "percent":
        return `(${sqlNumber(node.value)})::DOUBLE`;
      case "string":
        return `${sql.param(node.value)}::VARCHAR`;
      case "bool":
        return node.value ? "true" : "false";
      case "null":
        return "NULL";
      case "ref":
        return property(node.path[0]!);
      case "unary":
        return node.op === "not" ? `(NOT ${gen(node.operand)})` : `(-${gen(node.operand)})`;
      case "binary":
        return binary(node);
      case "in": {
        const value = gen(node.value);
        const negate = node.negated ? "NOT " : "";
        if (node.set.kind === "range") return `(${negate}(${value} BETWEEN least(${gen(node.set.low)}, ${gen(node.set.high)}) AND greatest(${gen(node.set.low)}, ${gen(node.set.high)})))`;
        if (node.set.kind === "list") return node.set.items.length === 0 ? (node.negated ? "true" : "false") : `(${value} ${negate}IN (${node.set.items.map(gen).join(", ")}))`;
        return "NULL";
      }
      case "call":
        return call(node);
      default:
        return "NULL";
    }
  };
  const binary = (node: Extract<Expr, { kind: "binary" }>): string => {
    const { op, left, right } = node;
    if ((op === "==" || op === "!=") && (left.kind === "null" || right.kind === "null")) {
      return `(${gen(left.kind === "null" ? right : left)} IS ${op === "==" ? "" : "NOT "}NULL)`;
    }
    const [l, r] = [gen(left), gen(right)];
    switch (op) {
      case "and":
        return `(${l} AND ${r})`;
      case "or":
        return `(${l} OR ${r})`;
      case "??":
        return `COALESCE(${l}, ${r})`;
      case "==":
        return `(${l} = ${r})`;
      case "!=":
        return `(${l} <> ${r})`;
      case "/":
        // As in the expression language: nothing to divide by gives 0.
        return `(CASE WHEN ${r} = 0 THEN 0 ELSE ${l} / ${r} END)`;
      case "+":
        return types.get(node)?.name === "string" ? `(${l} || ${r})` : `(${l} + ${r})`;
      default:
        return `(${l} ${op} ${r})`;
    }
  };
  const call = (node: Extract<Expr, { kind: "call" }>): string => {
    const args = node.args.map(gen);
    switch (node.name) {
      case "lower":
        return `lower(${args[0]})`;
      case "contains":
        return `contains(${args[0]}, ${args[1]})`;
      case "starts_with":
        return `starts_with(${args[0]}, ${args[1]})`;
      case "length":
        return `length(${args[0]})`;
      case "abs":
        return `abs(${args[0]})`;
      case "round":
        return `round(${args[0]}, ${args[1] ?? "0"})`;
      case "min":
        return `least(${args.join(", ")})`;
      case "max":
        return `greatest(${args.join(", ")})`;
      case "clamp":
        return `greatest(${args[1]}, least(${args[2]}, ${args[0]}))`;
      case "if":
        return `(CASE WHEN ${args[0]} THEN ${args[1]} ELSE ${args[2]} END)`;
      default:
        return "NULL";
    }
  };
  return `COALESCE(${gen(expr)}, false)`;
}
