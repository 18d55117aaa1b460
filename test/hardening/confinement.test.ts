import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TestProject } from "../helpers/project.js";

const BASE = `playbook "base" {
  account { n: int }
  health { usage 100% = scale(n, 0 .. 10) }
}
`;
const child = (target: string) => `playbook "child" extends ${JSON.stringify(target)} {
  metric doubled = n * 2
}
`;

function project(playbook: string, extra: Record<string, string> = {}, config: Record<string, unknown> = {}): TestProject {
  return new TestProject({ "playbook.play": playbook, "accounts.csv": "account_id,n\nA1,3\n", ...extra }, config);
}

describe("playbooks read only inside their project", () => {
  it("refuses to extend a file outside the project, and never shows its lines", async () => {
    const p = project(child("/etc/passwd"));
    for (const args of [["check", "playbook.play"], ["run", ".", "--as-of", "2026-03-01", "--no-state"]]) {
      const result = p.cli(...args);
      expect(result.code).toBe(1);
      expect(result.stdout + result.stderr).toContain("cannot be read: a base playbook is a .play or .yaml file");
      expect(result.stdout + result.stderr).not.toContain("root:");
    }
    const yamlTarget = project(child("../../../etc/hosts.yaml"));
    expect(yamlTarget.cli("check", "playbook.play").stdout).toMatch(/cannot be read: (no such file|it is outside the project's folders)/);
  });

  it("follows links before deciding: a link inside the project to a file outside is refused", async () => {
    const outside = new TestProject({ "playbook.play": BASE });
    const p = project(child("./base.play"));
    symlinkSync(outside.path("playbook.play"), p.path("base.play"));
    const result = p.cli("check", "playbook.play");
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("it is outside the project's folders");
  });

  it("allows the folders touchline.yaml lists in allow_folders", async () => {
    const shared = new TestProject({ "playbook.play": BASE });
    const p = project(child(`${shared.dir}/playbook.play`), {}, { allow_folders: [shared.dir] });
    const run = (await p.run("2026-03-01", "--no-state"));
    expect(run.code, run.stderr).toBe(0);
    expect(run.decisions.get("A1")!.metrics.doubled).toBe(6);
  });

  it("refuses what is not a regular file, and files over the size limit, without blocking", async () => {
    const p = project(child("./fifo.play"));
    execFileSync("mkfifo", [p.path("fifo.play")]);
    expect(p.cli("check", "playbook.play").stdout).toContain("it is not a regular file");
    p.write("big.play", `${BASE}\n${"// padding\n".repeat(300_000)}`);
    p.write("playbook.play", child("./big.play"));
    expect(p.cli("check", "playbook.play").stdout).toContain("it is larger than 2 MB");
    p.write("playbook.play", child("/dev/zero"));
    expect(p.cli("check", "playbook.play").stdout).toContain("cannot be read");
  });

  it("refuses a template file outside the project the same way", async () => {
    const p = project(`playbook "t" {
  account { n: int  email: email }
  template "leak" { subject "x" file "/etc/passwd" }
  trigger t { when n > 1 limit once email "leak" to email }
}
`);
    const result = p.cli("check", "playbook.play");
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("the template file `/etc/passwd` cannot be used: it is outside the project's folders");
  });

  it("reads paths with spaces and # as written", async () => {
    const p = project(`playbook "t" {
  account { n: int  email: email }
  template "hello" { subject "x" file "mail templates/#1 hello.liquid" }
  trigger t { when n > 1 limit once email "hello" to email }
}
`);
    mkdirSync(p.path("mail templates"));
    writeFileSync(p.path("mail templates/#1 hello.liquid"), "Hello {{ account.email }}. Unsubscribe: {{ unsubscribe_url }}");
    const result = p.cli("check", "playbook.play");
    expect(result.stdout).toContain("1 playbook checked: no problems");
    expect(result.code).toBe(0);
  });
});
