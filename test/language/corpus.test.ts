import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkText, readFromDisk } from "../../src/language/index.js";
import { DIAGNOSTIC_CODES, type Diagnostic } from "../../src/text/diagnostic.js";

const corpus = fileURLToPath(new URL("../corpus/", import.meta.url));
const update = process.env.UPDATE_GOLDEN === "1";

/** A diagnostic as a golden line: where, how bad, which code, what it says. */
function goldenLine(d: Diagnostic, folder: string): string {
  const { start, end } = d.range;
  const file = d.file.startsWith(folder) ? d.file.slice(folder.length) : d.file;
  return `${file}:${start.line + 1}:${start.character + 1}-${end.line + 1}:${end.character + 1} ${d.severity} ${d.code} ${d.message}`;
}

const files = readdirSync(corpus).filter((f) => /\.(play|ya?ml)$/.test(f) && !f.startsWith("_")).sort();
const seenCodes = new Set<string>();

describe("broken playbooks report golden diagnostics", () => {
  it("has a corpus of at least 40 broken playbooks in both notations", () => {
    expect(files.length).toBeGreaterThanOrEqual(40);
    expect(files.some((f) => f.endsWith(".play"))).toBe(true);
    expect(files.some((f) => f.endsWith(".yaml"))).toBe(true);
  });

  for (const file of files) {
    it(file, () => {
      const path = `${corpus}${file}`;
      const checked = checkText(path, readFileSync(path, "utf8"), readFromDisk);
      for (const d of checked.diagnostics) seenCodes.add(d.code);
      const actual = `${checked.diagnostics.map((d) => goldenLine(d, corpus)).join("\n")}\n`;
      const goldenPath = path.replace(/\.(play|ya?ml)$/, ".expected");
      if (update || !existsSync(goldenPath)) writeFileSync(goldenPath, actual);
      expect(checked.diagnostics.length, "a broken playbook must report something").toBeGreaterThan(0);
      expect(actual).toBe(readFileSync(goldenPath, "utf8"));
      // Every diagnostic carries a range inside its file.
      for (const d of checked.diagnostics) {
        expect(d.span.end).toBeGreaterThanOrEqual(d.span.start);
        expect(d.range.start.line).toBeGreaterThanOrEqual(0);
      }
    });
  }

  it("exercises every diagnostic code of the catalogue", () => {
    const missing = Object.keys(DIAGNOSTIC_CODES).filter((code) => !seenCodes.has(code));
    expect(missing).toEqual([]);
  });
});
