import type { Value } from "../expression/value.js";

/**
 * A record keyed by names from the playbook. Without a prototype, a metric
 * or trigger named `constructor` or `toString` is a name like any other.
 */
export function record<T = Value>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/**
 * A maker of records that hold these names from the start, in this order
 * (null until written). Like `record()`, nothing is inherited: the
 * prototype is empty and has none. Unlike it, every record made has the same
 * fixed shape, which the engine reads and writes several times faster than
 * a record made by Object.create(null), which is a hash table; a replay
 * makes one per account and day. The names are written as JSON string
 * literals: no user text is ever code.
 */
export function recordMaker(names: readonly string[]): () => Record<string, Value> {
  const Shape = new Function(`"use strict"; ${names.map((name) => `this[${JSON.stringify(name)}] = null;`).join(" ")}`) as unknown as new () => Record<string, Value>;
  Shape.prototype = Object.create(null) as object;
  return () => new Shape();
}
