import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatType } from "../../src/expression/types.js";
import { checkText, type CheckedPlaybook } from "../../src/language/index.js";
import { forgetParsedExpressions } from "../../src/language/dsl/parser.js";

const folders = ["../../playbooks/", "../../examples/saas-b2b/", "../../examples/telco/"].map((f) => fileURLToPath(new URL(f, import.meta.url)));
const samples = folders.flatMap((folder) => readdirSync(folder).filter((f) => /\.(play|ya?ml)$/.test(f) && f !== "touchline.yaml").map((f) => ({ name: f, text: readFileSync(`${folder}${f}`, "utf8") })));
const noFiles = () => undefined;

/** Everything a check says: diagnostics, definitions, references, and the type of every node of every expression. */
function view(checked: CheckedPlaybook): string {
  return JSON.stringify({
    diagnostics: checked.diagnostics.map((d) => [d.code, d.severity, d.span, d.message, d.fixes]),
    definitions: checked.symbols.definitions,
    references: [...checked.symbols.references].sort((a, b) => a.span.start - b.span.start || a.name.localeCompare(b.name)),
    expressions: [...checked.expressions].map(([path, e]) => [path, formatType(e.type), e.usesEvents, [...e.types].map(([node, type]) => [node.span, formatType(type)])]),
  });
}

/** Pieces an author types, names and types included, so that what a name means changes under the expressions using it. */
const TYPED = ["1", "7", "d", " ", "\n", "and ", "==", ">", "(", ")", '"', "int", "string", "bool?", "number", "metric ", "segment ", "x", "_", "#"];

/** Typing at a place; or writing one word over another of the same length, which keeps every expression where it was (so its last check is a candidate for reuse) while what a name means changes. */
const edit = fc.oneof(
  fc.record({
    at: fc.nat(),
    remove: fc.nat({ max: 6 }),
    insert: fc.array(fc.constantFrom(...TYPED), { maxLength: 4 }).map((parts) => parts.join("")),
  }),
  fc.record({ nth: fc.nat(), swap: fc.constantFrom(["number", "string"], ["string", "number"], ["bool", "date"], ["date", "bool"], ["int", "bool"], ["> ", "+ "], ["==", "!="], ["and", "+ 1"]) }),
);

function apply(text: string, change: typeof edit extends fc.Arbitrary<infer T> ? T : never): string {
  if ("swap" in change) {
    const [from, to] = change.swap as [string, string];
    const places: number[] = [];
    for (let i = text.indexOf(from); i >= 0; i = text.indexOf(from, i + 1)) places.push(i);
    if (places.length === 0) return text;
    const place = places[change.nth % places.length]!;
    return text.slice(0, place) + to + text.slice(place + from.length);
  }
  const place = change.at % (text.length + 1);
  return text.slice(0, place) + change.insert + text.slice(place + change.remove);
}

describe("checking again after an edit, reusing the checks of unchanged expressions", () => {
  it("says exactly what a check from scratch says, after any edit", () => {
    fc.assert(
      fc.property(fc.nat(), fc.array(edit, { minLength: 1, maxLength: 6 }), (sample, edits) => {
        const { name, text: original } = samples[sample % samples.length]!;
        const path = `/reuse/${name}`;
        let text = original;
        checkText(path, text, noFiles);
        for (const change of edits) {
          text = apply(text, change);
          const reusing = view(checkText(path, text, noFiles));
          forgetParsedExpressions();
          expect(reusing).toBe(view(checkText(path, text, noFiles)));
        }
      }),
      { numRuns: 120 },
    );
  });

  it("checks an unchanged expression again when a name it uses changes its type", () => {
    const play = (type: string) => `playbook "p" {
  account { seats: ${type} }
  metric doubled = seats * 2
  segment big = doubled > 10
}
`;
    const errors = (type: string) => checkText("/reuse/types.play", play(type), noFiles).diagnostics.filter((d) => d.severity === "error").map((d) => d.message);
    // Types of the same length: every expression stays where it was, the same parsed tree, checked before.
    expect(errors("number")).toEqual([]);
    expect(errors("string").join("\n")).toMatch(/`\*` on a string/);
    expect(errors("number")).toEqual([]);
    expect(formatType(checkText("/reuse/types.play", play("int"), noFiles).expressions.get("metrics/doubled")!.type)).toBe("int");
    expect(formatType(checkText("/reuse/types.play", play("number"), noFiles).expressions.get("metrics/doubled")!.type)).toBe("number");
  });
});
