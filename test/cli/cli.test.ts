import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(root, "bin/touchline.js");


function touchline(args: string[], cwd = root) {
  const result = spawnSync("node", [bin, ...args], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("touchline check (as a process)", () => {
  it("exits 0 on the bundled playbooks", () => {
    const result = touchline(["check", "playbooks/"]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/6 playbooks checked: no problems/);
    expect(result.code).toBe(0);
  });

  it("checks each project's touchline.yaml against the project schema, not as a playbook", () => {
    const examples = touchline(["check", "examples/"]);
    // RavenStack's history is written by its conversion script: until then its files are missing, a warning only.
    expect(examples.stdout).toMatch(/3 playbooks and 3 project files checked: (no problems|0 errors, 3 warnings)/);
    expect(examples.stdout).not.toMatch(/ error TL/);
    expect(examples.code).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), "touchline-project-check-"));
    writeFileSync(join(dir, "touchline.yaml"), "playbook: p.play\naccounts: a.csv\nhistroy:\n  mrr: m.csv\ntimezone: 5\n");
    const broken = touchline(["check", join(dir, "touchline.yaml")]);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain("touchline.yaml:3:1 error TL3002 unknown setting `histroy` in touchline.yaml; did you mean `history`?");
    expect(broken.stdout).toContain("touchline.yaml:5:11 error TL3003 `timezone` should be text, not 5");
    // The missing files are said in the same pass (p.play, a.csv).
    expect(broken.stdout).toContain("0 playbooks and 1 project file checked: 4 errors, 0 warnings");
    // run says the same, every problem at its line, not the first in the schema's words.
    const run = touchline(["run", dir, "--as-of", "2026-03-01"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("touchline.yaml:3:1 error TL3002 unknown setting `histroy` in touchline.yaml; did you mean `history`?");
    expect(run.stderr).toContain("touchline.yaml:5:11 error TL3003 `timezone` should be text, not 5");
    // A required setting misspelt: "did you mean" alone; left out: said to be required, not "invalid input".
    writeFileSync(join(dir, "touchline.yaml"), "playbook: p.play\nacounts: a.csv\n");
    const misspelt = touchline(["check", join(dir, "touchline.yaml")]);
    expect(misspelt.stdout).toContain("touchline.yaml:2:1 error TL3002 unknown setting `acounts` in touchline.yaml; did you mean `accounts`?");
    expect(misspelt.stdout).toContain("1 project file checked: 2 errors, 0 warnings"); // and p.play, which is not there
    writeFileSync(join(dir, "touchline.yaml"), "playbook: p.play\n");
    expect(touchline(["check", join(dir, "touchline.yaml")]).stdout).toContain("touchline.yaml:1:1 error TL3001 `accounts` is required");
    // Files that are not there and unknown time zones, at their setting, with a suggestion.
    writeFileSync(join(dir, "accounts.csv"), "account_id\n");
    writeFileSync(join(dir, "touchline.yaml"), "playbook: p.play\naccounts: acounts.csv\ntimezone: Europe/Londn\n");
    const missing = touchline(["check", join(dir, "touchline.yaml")]);
    expect(missing.stdout).toContain("touchline.yaml:1:11 error TL3004 no such file: p.play");
    expect(missing.stdout).toContain("touchline.yaml:2:11 error TL3004 no such file: acounts.csv; did you mean accounts.csv?");
    expect(missing.stdout).toContain("touchline.yaml:3:11 error TL3004 unknown time zone Europe/Londn; did you mean Europe/London?");
    // Said in the same pass as the schema's own problems, not after they are fixed.
    writeFileSync(join(dir, "touchline.yaml"), "playbook: p.play\naccounts: accounts.csv\ntimezone: Europe/Londn\nmax_rejects: lots\n");
    const both = touchline(["check", join(dir, "touchline.yaml")]);
    expect(both.stdout).toContain("touchline.yaml:3:11 error TL3004 unknown time zone Europe/Londn; did you mean Europe/London?");
    expect(both.stdout).toMatch(/touchline\.yaml:4:\d+ error TL300\d `max_rejects`/);
  });

  it("exits 1 on errors and shows file:line:col, code, message and a code frame", () => {
    const result = touchline(["check", "test/corpus/13-unknown-field-suggestion.play"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("test/corpus/13-unknown-field-suggestion.play:14:20 error TL2003 unknown name `login_30d`; did you mean `logins_30d`?");
    expect(result.stdout).toContain("> 14 |   segment active = login_30d > 10");
    expect(result.stdout).toMatch(/\|\s+\^{9}\n/);
    expect(result.stdout).toContain("1 playbook checked: 1 error, 0 warnings");
  });

  it("exits 0 when there are only warnings", () => {
    const result = touchline(["check", "test/corpus/36-weights-not-100.play"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("warning TL4001");
  });

  it("prints machine-readable diagnostics with ranges and fixes with --format json", () => {
    const result = touchline(["check", "--format", "json", "test/corpus/36-weights-not-100.play", "test/corpus/20-unknown-template-offer.play"]);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.errors).toBe(2);
    expect(report.warnings).toBe(1);
    const weights = report.diagnostics.find((d: { code: string }) => d.code === "TL4001");
    expect(weights.range).toEqual({ start: { line: 14, column: 3 }, end: { line: 14, column: 9 } });
    expect(weights.fixes[0].title).toBe("Normalise the weights to 100%");
    expect(weights.fixes[0].edits.map((e: { newText: string }) => e.newText)).toEqual(["57.1%", "42.9%"]);
  });

  it("exits 2 on bad usage, with a one-line message and no stack trace", () => {
    for (const args of [["check", "no/such/folder"], ["check", "--format", "xml", "playbooks"], ["frobnicate"], ["convert", "playbooks/b2b-saas.play", "--to", "json"]]) {
      const result = touchline(args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).not.toMatch(/\bat .*\.js:\d+/);
    }
  });
});

describe("touchline fmt and convert (as a process)", () => {
  it("fmt --check passes on the bundled playbooks and fails on a messy file, which fmt then fixes", () => {
    expect(touchline(["fmt", "--check", "playbooks/"]).code).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), "touchline-fmt-"));
    const file = join(dir, "messy.play");
    writeFileSync(file, 'playbook "m" {\naccount { arr : money }\nmetric x=arr*2\n}\n');
    const checkRun = touchline(["fmt", "--check", file]);
    expect(checkRun.code).toBe(1);
    expect(checkRun.stderr).toContain("not in canonical layout");
    expect(touchline(["fmt", file]).code).toBe(0);
    expect(readFileSync(file, "utf8")).toBe('playbook "m" {\n  account {\n    arr: money\n  }\n\n  metric x = arr * 2\n}\n');
    expect(touchline(["fmt", "--check", file]).code).toBe(0);
  });

  it("convert turns YAML into .play and back into an equivalent YAML that still checks", () => {
    const dir = mkdtempSync(join(tmpdir(), "touchline-convert-"));
    copyFileSync(join(root, "playbooks/replaceable-tool.yaml"), join(dir, "tool.yaml"));
    const toPlay = touchline(["convert", join(dir, "tool.yaml"), "--to", "play", "--out", join(dir, "tool.play")]);
    expect(toPlay.code).toBe(0);
    expect(readFileSync(join(dir, "tool.play"), "utf8")).toContain('playbook "replaceable-tool" {');
    const toYaml = touchline(["convert", join(dir, "tool.play"), "--to", "yaml"]);
    expect(toYaml.code).toBe(0);
    writeFileSync(join(dir, "back.yaml"), toYaml.stdout);
    const checked = touchline(["check", dir]);
    expect(checked.stdout).toContain("3 playbooks checked: no problems");
  });
});
