import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { evaluate, type FieldValue, type TestEvent } from "../helpers/expression.js";

interface Case {
  expr: string;
  fields?: Record<string, FieldValue>;
  events?: TestEvent[];
  /** event types and their properties: a list of names (texts) or names and types */
  eventTypes?: Record<string, string[] | Record<string, string>>;
  asOf?: string;
  allowMissing?: boolean;
  expect?: "bool" | "numeric";
  value?: unknown;
  type?: string;
  error?: string;
}

const folder = new URL("./conformance/", import.meta.url);

// The semantics of the expression language, written down as data: one file per feature.
for (const file of readdirSync(folder).filter((f) => f.endsWith(".yaml")).sort()) {
  const cases = parse(readFileSync(new URL(file, folder), "utf8")) as Case[];
  describe(`expression conformance: ${file}`, () => {
    for (const c of cases) {
      it(`${c.expr}${c.error ? ` -> ${c.error}` : ` = ${JSON.stringify(c.value)}`}`, () => {
        const result = evaluate(c.expr, c.fields, {
          ...(c.asOf ? { asOf: c.asOf } : {}),
          ...(c.events ? { events: c.events } : {}),
          ...(c.eventTypes ? { eventTypes: c.eventTypes } : {}),
          ...(c.allowMissing ? { allowMissing: true } : {}),
          ...(c.expect ? { expect: c.expect } : {}),
        });
        if (c.error) {
          expect(result.codes).toContain(c.error);
          return;
        }
        expect(result.messages).toEqual([]);
        if (typeof c.value === "number") expect(result.value).toBeCloseTo(c.value, 9);
        else expect(result.value).toEqual(c.value);
        if (c.type) expect(result.type).toBe(c.type);
      });
    }
  });
}
