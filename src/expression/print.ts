import type { Expr } from "./ast.js";
import { quote } from "./literals.js";

const BINARY_PRECEDENCE: Record<string, number> = {
  or: 1,
  and: 2,
  "==": 4,
  "!=": 4,
  "<": 4,
  "<=": 4,
  ">": 4,
  ">=": 4,
  "??": 6,
  "+": 7,
  "-": 7,
  "*": 8,
  "/": 8,
};

function precedence(expr: Expr): number {
  switch (expr.kind) {
    case "binary":
      return BINARY_PRECEDENCE[expr.op]!;
    case "unary":
      return expr.op === "not" ? 3 : 9;
    case "in":
      return 4;
    case "range":
      return 5;
    default:
      return 10;
  }
}

function wrap(expr: Expr, needsParens: boolean): string {
  const text = printExpr(expr);
  return needsParens ? `(${text})` : text;
}

/**
 * The canonical text of an expression: one space around binary operators,
 * parentheses only where precedence needs them. Parsing the output gives
 * back the same tree, which is what makes `fmt` and `convert` lossless.
 */
export function printExpr(expr: Expr): string {
  switch (expr.kind) {
    case "number":
    case "percent":
    case "date":
    case "datetime":
    case "duration":
      return expr.text;
    case "string":
      return quote(expr.value);
    case "bool":
      return String(expr.value);
    case "null":
      return "null";
    case "error":
      return "?";
    case "ref":
      return expr.path.join(".");
    case "unary": {
      const inner = wrap(expr.operand, precedence(expr.operand) < precedence(expr));
      return expr.op === "not" ? `not ${inner}` : `-${inner}`;
    }
    case "binary": {
      const own = precedence(expr);
      const nonAssociative = own === 4;
      const left = wrap(expr.left, precedence(expr.left) < own || (nonAssociative && precedence(expr.left) === own));
      const right = wrap(expr.right, precedence(expr.right) <= own);
      return `${left} ${expr.op} ${right}`;
    }
    case "range":
      return `${wrap(expr.low, precedence(expr.low) <= 5)} .. ${wrap(expr.high, precedence(expr.high) <= 5)}`;
    case "in":
      return `${wrap(expr.value, precedence(expr.value) <= 4)} ${expr.negated ? "not in" : "in"} ${wrap(expr.set, precedence(expr.set) <= 4)}`;
    case "list":
      return `[${expr.items.map(printExpr).join(", ")}]`;
    case "call":
      return `${expr.name}(${[...expr.args.map(printExpr), ...(expr.filter ? [`where ${printExpr(expr.filter)}`] : [])].join(", ")})`;
    case "bands": {
      const cases = expr.cases.map((c) => `${printExpr(c.match)}: ${printExpr(c.score)}`);
      if (expr.otherwise) cases.push(`else: ${printExpr(expr.otherwise)}`);
      return `bands(${printExpr(expr.value)}) { ${cases.join(", ")} }`;
    }
  }
}
