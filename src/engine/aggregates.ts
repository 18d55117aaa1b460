import type { CallNode, Expr } from "../expression/ast.js";
import { compileEventFilter } from "../expression/compile.js";
import { FUNCTIONS } from "../expression/functions.js";
import { durationDays } from "../expression/literals.js";
import { printExpr } from "../expression/print.js";
import type { Type } from "../expression/types.js";
import type { EvalScope, EventFilter, Value } from "../expression/value.js";

export type AggregateFunction = "count" | "sum" | "avg" | "min_of" | "max_of" | "distinct" | "days_since_last" | "trend";

/**
 * One event aggregate a playbook uses, such as `count("login", 30d)`: the
 * data engine computes each once per account (in SQL) before the accounts
 * are evaluated, and compiled expressions read the result.
 */
export interface AggregateSpec {
  /** the call as written in canonical form: equal calls share one aggregate */
  key: string;
  fn: AggregateFunction;
  event: string;
  property: string | undefined;
  /** local days the window spans (today included); undefined for days_since_last */
  windowDays: number | undefined;
  filter: { expr: Expr; types: ReadonlyMap<Expr, Type> } | undefined;
}

/**
 * Collects the event aggregates of a playbook as its expressions are
 * compiled, giving each call its slot in the account scope's `x` array.
 */
export class AggregateCatalog {
  readonly specs: AggregateSpec[] = [];
  private readonly slots = new Map<string, number>();

  /** The slot of an aggregate call, registering it the first time. The checker made its window a duration literal. */
  slotOf(call: CallNode, types: ReadonlyMap<Expr, Type>): number {
    const key = printExpr(call);
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.specs.length;
      this.slots.set(key, slot);
      const property = FUNCTIONS.get(call.name)!.params.some((p) => p.kind === "property") ? stringArg(call.args[1]) : undefined;
      const window = call.args.find((arg) => arg.kind === "duration");
      this.specs.push({
        key,
        fn: call.name as AggregateFunction,
        event: stringArg(call.args[0]) ?? "",
        property,
        windowDays: window?.kind === "duration" ? durationDays(window) : undefined,
        filter: call.filter ? { expr: call.filter, types } : undefined,
      });
    }
    return slot;
  }
}

function stringArg(expr: Expr | undefined): string | undefined {
  return expr?.kind === "string" ? expr.value : undefined;
}

/**
 * The in-memory oracle: each aggregate of one account computed from its
 * events held in memory (`scope.events`) with the expression language's own
 * functions. The data engine's SQL must give the same values.
 */
export function aggregatesInMemory(specs: readonly AggregateSpec[], scope: EvalScope, filters: readonly (EventFilter | undefined)[] = compileFilters(specs)): Value[] {
  return specs.map((spec, index) => {
    const args: Value[] = [spec.event];
    if (spec.property !== undefined) args.push(spec.property);
    if (spec.windowDays !== undefined) args.push(spec.windowDays);
    return FUNCTIONS.get(spec.fn)!.impl(scope, args, filters[index]);
  });
}

/** Each aggregate's `where` condition as a predicate, compiled once for many accounts. */
export function compileFilters(specs: readonly AggregateSpec[]): (EventFilter | undefined)[] {
  return specs.map((spec) => (spec.filter ? compileEventFilter(spec.filter.expr, spec.filter.types) : undefined));
}
