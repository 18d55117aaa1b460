import { describe, expect, it } from "vitest";
import { checkText } from "../../src/language/index.js";

const deep = (n: number) => `${"(".repeat(n)}arr${")".repeat(n)}`;
const chain = (n: number) => Array.from({ length: n + 1 }, () => "arr").join(" + ");

describe("expressions nested or chained beyond reason", () => {
  it("give one TL1008 diagnostic in both notations, never an internal error", () => {
    for (const expression of [deep(5000), chain(50_000)]) {
      const play = checkText("/tmp/deep.play", `playbook "d" {\n  account { arr: money }\n  metric m = ${expression}\n}\n`);
      expect(play.diagnostics.map((d) => d.code)).toEqual(["TL1008"]);
      const yaml = checkText("/tmp/deep.yaml", `playbook: d\naccount:\n  arr: money\nmetrics:\n  m: "${expression}"\n`);
      expect(yaml.diagnostics.map((d) => d.code)).toEqual(["TL1008"]);
    }
  });

  it("check cleanly at the limits (100 parentheses, 1,000 operators)", () => {
    const play = checkText("/tmp/deep.play", `playbook "d" {\n  account { arr: money }\n  metric m = ${deep(100)}\n  metric n = ${chain(1000)}\n}\n`);
    expect(play.diagnostics).toEqual([]);
  });
});
