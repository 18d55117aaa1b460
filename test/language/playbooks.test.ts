import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkText } from "../../src/language/index.js";
import { effectiveHealthModels } from "../../src/model/resolve.js";

const folder = fileURLToPath(new URL("../../playbooks/", import.meta.url));
const check = (file: string) => checkText(`${folder}${file}`, readFileSync(`${folder}${file}`, "utf8"));

describe("the ready playbooks", () => {
  for (const file of readdirSync(folder).filter((f) => /\.(play|ya?ml)$/.test(f))) {
    it(`${file} passes check without errors or warnings`, () => {
      expect(check(file).diagnostics).toEqual([]);
    });
  }

  it("infrastructure extends b2b-saas: inherits what it does not change, overrides what it does", () => {
    const checked = check("infrastructure.play");
    expect(checked.layers.map((l) => l.source.path.split("/").pop())).toEqual(["infrastructure.play", "b2b-saas.play"]);
    const components = checked.model.health!.components!;
    expect(Object.keys(components)).toEqual(["adoption", "engagement", "sentiment", "support", "outcomes", "expansion"]);
    expect(components.adoption).toEqual({ weight: "20%", score: "scale(utilization, 0.2 .. 0.9)" });
    expect(checked.model.triggers!.adoption_nudge).toBeDefined();
    expect(checked.model.account!.outcomes_reached).toBeDefined();
    expect(checked.model.account!.arr).toBeDefined();
    // A per-segment model changes three weights and inherits everything else.
    const enterprise = effectiveHealthModels(checked.model).get("enterprise")!;
    expect(enterprise.components!.projects!.weight).toBe("15%");
    expect(enterprise.components!.outcomes!.weight).toBe("30%");
    expect(enterprise.components!.sentiment!.score).toContain("bands(nps)");
    expect(enterprise.caps).toEqual(checked.model.health!.caps);
  });

  it("records where each definition is written and every place it is used", () => {
    const checked = check("b2b-saas.play");
    const utilization = checked.symbols.lookup("metric", "utilization")!;
    expect(utilization.file).toMatch(/b2b-saas\.play$/);
    expect(utilization.type).toBe("number");
    expect(utilization.description).toBe("Share of purchased seats in use");
    const text = readFileSync(`${folder}b2b-saas.play`, "utf8");
    expect(text.slice(utilization.nameSpan.start, utilization.nameSpan.end)).toBe("utilization");
    const uses = checked.symbols.referencesTo("metric", "utilization");
    expect(uses.length).toBeGreaterThanOrEqual(3);
    for (const use of uses) expect(text.slice(use.span.start, use.span.end)).toBe("utilization");
    const templateUses = checked.symbols.referencesTo("template", "adoption-tips");
    expect(templateUses.map((u) => text.slice(u.span.start, u.span.end))).toEqual(["adoption-tips"]);
    expect(checked.symbols.referencesTo("tier", "tech_touch").length).toBe(1);
    expect(checked.symbols.referencesTo("component", "adoption").length).toBe(2);
    expect(checked.symbols.lookup("field", "nps")!.type).toBe("int?");
  });

  it("records references in YAML playbooks too, inside expression strings", () => {
    const checked = check("replaceable-tool.yaml");
    const text = readFileSync(`${folder}replaceable-tool.yaml`, "utf8");
    const uses = checked.symbols.referencesTo("segment", "going_quiet");
    expect(uses.length).toBe(2);
    for (const use of uses) expect(text.slice(use.span.start, use.span.end)).toBe("going_quiet");
  });
});
