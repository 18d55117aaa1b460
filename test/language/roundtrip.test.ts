import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { canonicalPlaybook } from "../../src/language/canonical.js";
import { compilePlaybook } from "../../src/engine/compile.js";
import { checkText, convertPlaybook, formatPlay, parseDocument } from "../../src/language/index.js";
import type { Playbook } from "../../src/model/playbook.js";

const folder = fileURLToPath(new URL("../../playbooks/", import.meta.url));
const playbookFiles = readdirSync(folder).filter((f) => /\.(play|ya?ml)$/.test(f)).sort();

function modelOf(path: string, text: string): Playbook {
  const document = parseDocument(path, text);
  expect(document.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return canonicalPlaybook(document.data as Playbook);
}

describe("one model, two notations", () => {
  const pairs = playbookFiles.filter((f) => f.endsWith(".play") && playbookFiles.includes(f.replace(/\.play$/, ".yaml")));

  it("ships at least two playbooks in both notations", () => {
    expect(pairs.length).toBeGreaterThanOrEqual(2);
  });

  for (const play of pairs) {
    const yaml = play.replace(/\.play$/, ".yaml");
    it(`${play} and ${yaml} describe the same playbook`, () => {
      const fromPlay = modelOf(`${folder}${play}`, readFileSync(`${folder}${play}`, "utf8"));
      const fromYaml = modelOf(`${folder}${yaml}`, readFileSync(`${folder}${yaml}`, "utf8"));
      expect(fromYaml).toEqual(fromPlay);
    });
  }

  for (const file of playbookFiles) {
    it(`${file} converts to the other notation and back without loss`, () => {
      const text = readFileSync(`${folder}${file}`, "utf8");
      const original = modelOf(`${folder}${file}`, text);
      const other = file.endsWith(".play") ? "yaml" : "play";
      const converted = convertPlaybook(`${folder}${file}`, text, other);
      expect(converted.diagnostics).toEqual([]);
      const otherPath = `${folder}converted.${other}`;
      const back = convertPlaybook(otherPath, converted.text!, file.endsWith(".play") ? "play" : "yaml");
      expect(modelOf(otherPath, converted.text!)).toEqual(original);
      expect(modelOf(`${folder}${file}`, back.text!)).toEqual(original);
      // Same meaning, same hash: whatever order each notation writes the settings in.
      const hash = (path: string, body: string) => compilePlaybook(checkText(path, body)).hash;
      expect(hash(otherPath, converted.text!)).toBe(hash(`${folder}${file}`, text));
    });
  }
});

describe("the formatter", () => {
  for (const file of playbookFiles.filter((f) => f.endsWith(".play"))) {
    it(`${file} is in canonical layout, and formatting keeps its meaning and is idempotent`, () => {
      const text = readFileSync(`${folder}${file}`, "utf8");
      const formatted = formatPlay(`${folder}${file}`, text);
      expect(formatted.text).toBe(text);
      const again = formatPlay(`${folder}${file}`, formatted.text!);
      expect(again.text).toBe(formatted.text);
      expect(modelOf(file, formatted.text!)).toEqual(modelOf(file, text));
    });
  }

  it("rewrites a messy file into the canonical layout and keeps every comment in place", () => {
    const messy = `// Header comment
playbook "messy" {
version 2
  account {   arr : money   // yearly
  plan:enum(a,b)
  }
  // about the metric
  metric   double=arr*2+ ( 1 )
  tiers { big when arr>=10   // large
  small otherwise }
  // trailing note
}
`;
    const formatted = formatPlay("messy.play", messy);
    expect(formatted.text).toBe(`// Header comment
playbook "messy" {
  version 2

  account {
    arr: money  // yearly
    plan: enum(a, b)
  }

  // about the metric
  metric double = arr * 2 + 1

  tiers {
    big   when arr >= 10  // large
    small otherwise
  }
  // trailing note
}
`);
    expect(formatPlay("messy.play", formatted.text!).text).toBe(formatted.text);
  });

  it("keeps a comment that ends a block inside it, defaults as written, multi-line expressions on their lines, and the file's line endings", () => {
    const text = `playbook "f" {
  account {
    arr: money
    window: duration = 30d
    since: date = 2026-01-31
    name: string = "30d"
    // the last field
  }
  metric big = arr > 100
      and arr < 1000
}
`;
    // The canonical layout: a blank line between sections, continuation lines one level in.
    const expected = text.replace("  }\n  metric", "  }\n\n  metric").replace("      and", "    and");
    expect(formatPlay("f.play", text).text).toBe(expected);
    expect(formatPlay("f.play", expected).text).toBe(expected);
    expect(formatPlay("f.play", text.replace(/\n/g, "\r\n")).text).toBe(expected.replace(/\n/g, "\r\n"));
    expect(modelOf("f.play", expected)).toEqual(modelOf("f.play", text.replace("      and", "    and")));
    // Comments inside and at the end of an expression over several lines stay where they are, once.
    const commented = `playbook "c" {\n  account {\n    arr: money\n  }\n\n  metric half = arr /  // inside\n    2\n  metric big = arr\n    >= 100_000  // at its end\n}\n`;
    expect(formatPlay("c.play", commented).text).toBe(commented);
  });

  it("keeps comments in blocks written over several lines, and a /// line that is not a description", () => {
    const text = `playbook "t" {
  account { seats: int }
  metric m = seats * 2
  /// Healthy accounts.
  // TODO: check with sales
  trigger upsell_ready { // inline note
    when m > 2
    cooldown 90d // quarterly
    task "Call" due 2d
  }
}
`;
    const formatted = formatPlay("t.play", text).text!;
    for (const comment of ["/// Healthy accounts.", "// TODO: check with sales", "// inline note", "// quarterly"]) expect(formatted).toContain(comment);
    expect(formatted).toMatch(/trigger upsell_ready \{ +\/\/ inline note\n/);
    expect(formatted).toMatch(/cooldown 90d +\/\/ quarterly\n/);
    expect(formatPlay("t.play", formatted).text).toBe(formatted);
  });

  it("convert carries // and # comments across, each with its statement", () => {
    const play = `// Header note
playbook "c" {
  account {
    arr: money  // yearly
  }
  // about the metric
  metric double = arr * 2
  tiers {
    big when arr >= 10
    small otherwise
    // the default comes last
  }
}
`;
    const yaml = convertPlaybook("c.play", play, "yaml").text!;
    expect(yaml).toMatch(/^# Header note\n\n?playbook: c/);
    expect(yaml).toMatch(/arr: money # yearly/);
    expect(yaml).toContain("  # about the metric\n  double: arr * 2");
    expect(yaml).toContain("# the default comes last");
    const back = convertPlaybook("c.yaml", yaml, "play").text!;
    for (const comment of ["// Header note", "// yearly", "// about the metric", "// the default comes last"]) expect(back).toContain(comment);
    expect(back.indexOf("// about the metric")).toBeLessThan(back.indexOf("metric double"));
  });

  it("refuses to format a file with syntax errors and says why", () => {
    const result = formatPlay("broken.play", 'playbook "x" { metric a = }');
    expect(result.text).toBeUndefined();
    expect(result.diagnostics.map((d) => d.code)).toContain("TL1002");
  });
});
