import { copyFileSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalPlaybook } from "../../src/language/canonical.js";
import { checkText, convertPlaybook, formatPlay } from "../../src/language/index.js";
import type { Playbook } from "../../src/model/playbook.js";
import { TestProject } from "../helpers/project.js";

const corpus = fileURLToPath(new URL("../corpus/", import.meta.url));
const broken = readdirSync(corpus).filter((f) => /\.(play|ya?ml)$/.test(f));
const noFiles = () => undefined;

function checkedModel(path: string, text: string): Playbook {
  const checked = checkText(path, text, noFiles);
  expect(checked.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
  return canonicalPlaybook(checked.model);
}

/** Small valid playbooks of every section, with comments, in the DSL. */
const validPlaybook = fc
  .record({
    fields: fc.subarray(["arr: money", "seats: int", "active: int", "nps: int?", "start: date", "churned: bool = false", "email: email", "plan: enum(basic, \"Pro plan\")"], { minLength: 0 }),
    weights: fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 3 }),
    threshold: fc.integer({ min: 0, max: 200_000 }),
    cooldown: fc.constantFrom("7d", "2w", "3mo", "1y"),
    limit: fc.constantFrom("", "limit once", "limit 2 per 90d", "limit once_per_renewal(since)"),
    comment: fc.constantFrom("", "  // a comment\n", "  /// what it is for\n"),
    fire: fc.constantFrom("", "fire on_enter", "fire while_true"),
  })
  .map(({ fields, weights, threshold, cooldown, limit, comment, fire }) => {
    const all = ["arr: money", "seats: int", "active: int", "email: email", "since: date", ...fields.filter((f) => !/^(arr|seats|active|email|since):/.test(f))];
    const components = weights.map((w, i) => `    c${i} ${w}% = scale(active / seats, 0 .. ${i + 1})`).join("\n");
    return `playbook "generated" {
  account {
${all.map((f) => `    ${f}`).join("\n")}
  }
${comment}  metric utilization = active / seats
  segment big = arr >= ${threshold}
  health {
${components}
    status green >= 70, yellow >= 40
  }
  tiers {
    high when arr >= ${threshold}
    low otherwise
  }
  template "hi" {
    subject "Hello"
    body "Hi {{ account.email }}"
  }
  trigger nudge {
    for low
    when utilization < 0.5
    ${fire}
    cooldown ${cooldown}
    ${limit}
    email "hi" to email
  }
}
`;
  });

describe("formatting never loses code", () => {
  it("format and convert round trips keep the checked model of any valid playbook", () => {
    fc.assert(
      fc.property(validPlaybook, (text) => {
        const model = checkedModel("/g/generated.play", text);
        const formatted = formatPlay("/g/generated.play", text, noFiles);
        expect(formatted.diagnostics).toEqual([]);
        expect(checkedModel("/g/generated.play", formatted.text!)).toEqual(model);
        expect(formatPlay("/g/generated.play", formatted.text!, noFiles).text).toBe(formatted.text);
        const yaml = convertPlaybook("/g/generated.play", text, "yaml", noFiles);
        expect(checkedModel("/g/generated.yaml", yaml.text!)).toEqual(model);
        const back = convertPlaybook("/g/generated.yaml", yaml.text!, "play", noFiles);
        expect(checkedModel("/g/generated.play", back.text!)).toEqual(model);
      }),
      { numRuns: 60 },
    );
  });

  it("refuses every broken playbook of the corpus, in both notations", () => {
    for (const file of broken) {
      const text = readFileSync(`${corpus}${file}`, "utf8");
      if (!checkText(`${corpus}${file}`, text).diagnostics.some((d) => d.severity === "error")) continue;
      if (file.endsWith(".play")) expect(formatPlay(`${corpus}${file}`, text).text, file).toBeUndefined();
      expect(convertPlaybook(`${corpus}${file}`, text, file.endsWith(".play") ? "yaml" : "play").text, file).toBeUndefined();
    }
  });

  it("refuses a valid playbook damaged anywhere, rather than print a pruned model", () => {
    fc.assert(
      fc.property(validPlaybook, fc.nat(), fc.nat({ max: 6 }), (text, at, length) => {
        const position = at % text.length;
        const damaged = text.slice(0, position) + text.slice(position + length + 1);
        const checked = checkText("/g/generated.play", damaged, noFiles);
        const formatted = formatPlay("/g/generated.play", damaged, noFiles);
        if (checked.diagnostics.some((d) => d.severity === "error")) expect(formatted.text).toBeUndefined();
        else expect(checkedModel("/g/generated.play", formatted.text!)).toEqual(canonicalPlaybook(checked.model));
      }),
      { numRuns: 300 },
    );
  });

  it("fmt and convert leave a broken file byte for byte as it was, and say why", () => {
    const project = new TestProject({ "playbook.play": "" });
    for (const file of ["32-unknown-setting.yaml", "36-weights-not-100.play", "08-many-errors-recovered.play", "34-value-not-allowed.yaml"]) {
      copyFileSync(`${corpus}${file}`, project.path(file));
    }
    writeFileSync(project.path("limit.play"), 'playbook "x" {\n  account { n: int }\n  template "a" { subject "s" body "b" }\n  trigger t { when n > 1 limit 0 per 90d task "hi" }\n}\n');
    for (const file of ["limit.play", "08-many-errors-recovered.play"]) {
      const before = readFileSync(project.path(file));
      const result = project.cli("fmt", file);
      expect(result.code, file).toBe(1);
      expect(result.stderr).toContain("not formatted: fix the errors above first");
      expect(readFileSync(project.path(file))).toEqual(before);
    }
    for (const file of ["32-unknown-setting.yaml", "34-value-not-allowed.yaml", "limit.play"]) {
      const result = project.cli("convert", file, "--to", file.endsWith(".play") ? "yaml" : "play", "--out", "converted.txt");
      expect(result.code, file).toBe(1);
      expect(result.stderr).toContain("not converted: fix the errors above first");
      expect(project.exists("converted.txt")).toBe(false);
    }
  });
});
