import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { forgetParsedExpressions, parseDsl } from "../../src/language/dsl/parser.js";

const folders = ["../../playbooks/", "../../examples/saas-b2b/", "../../examples/telco/", "../../examples/ravenstack/"].map((f) => fileURLToPath(new URL(f, import.meta.url)));
const samples = folders.flatMap((folder) => readdirSync(folder).filter((f) => f.endsWith(".play")).map((f) => readFileSync(`${folder}${f}`, "utf8")));

/** Pieces an author types: operators, keywords, names, digits, line breaks. */
const TYPED = ["1", "7", "d", " ", "\n", "and ", "or ", "==", "=", ">", "(", ")", ",", '"', "health", "metric", "when ", "}", "{", "count(", "x", ".", "#"];

const edit = fc.record({
  sample: fc.nat(),
  at: fc.nat(),
  remove: fc.nat({ max: 6 }),
  insert: fc.array(fc.constantFrom(...TYPED), { maxLength: 4 }).map((parts) => parts.join("")),
});

describe("the .play parser's expression memo", () => {
  it("gives, after any edit, exactly what a parse from scratch gives", () => {
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 6 }), (edits) => {
        let text = samples[edits[0]!.sample % samples.length]!;
        parseDsl(text);
        for (const { at, remove, insert } of edits) {
          const place = at % (text.length + 1);
          text = text.slice(0, place) + insert + text.slice(place + remove);
          const memoized = parseDsl(text);
          forgetParsedExpressions();
          const fresh = parseDsl(text);
          expect(JSON.stringify(memoized)).toBe(JSON.stringify(fresh));
        }
      }),
      { numRuns: 150 },
    );
  });
});
