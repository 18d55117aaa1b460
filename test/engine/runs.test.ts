import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { bin, TestProject } from "../helpers/project.js";

const root = fileURLToPath(new URL("../../", import.meta.url));


function touchline(...args: string[]) {
  const result = spawnSync("node", [bin, ...args], { cwd: root, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("the saas-b2b example (the README's first command)", () => {
  const scratch = mkdtempSync(join(tmpdir(), "touchline-example-"));

  it("runs from the repository root and shows tiers, health, overdue milestones and actions", async () => {
    const result = touchline("run", "examples/saas-b2b", "--as-of", "2026-03-01", "--state", join(scratch, "a.db"), "--out", join(scratch, "a.jsonl"), "--out", join(scratch, "a.csv"));
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Playbook b2b-saas v1 \([0-9a-f]{12}\) as of 2026-03-01: 2,000 accounts evaluated\./);
    expect(result.stdout).toContain("Dry run: nothing was sent.");
    expect(result.stdout).toMatch(/high_touch\s+\d+/);
    expect(result.stdout).toMatch(/Onboarding: [\d,]+ accounts have overdue milestones/);
    expect(result.stdout).toMatch(/Actions: [\d,]+ planned, [\d,]+ held out/);
    expect(result.stdout).toMatch(/adoption_nudge\s+email adoption-tips/);
    const lines = readFileSync(join(scratch, "a.jsonl"), "utf8").trim().split("\n");
    expect(lines).toHaveLength(2000);
    expect(readFileSync(join(scratch, "a.csv"), "utf8").split("\n")[0]).toBe("account,as_of,health_model,health_score,health_status,health_trend,tier,tier_computed,onboarding_completion,overdue_milestones,planned_actions,actions,notices,health_adoption,health_engagement,health_sentiment,health_support,metric_utilization,metric_logins_30d,metric_logins_per_seat,metric_active_users_30d,metric_key_events_30d,metric_login_trend");
  });

  it("gives byte-identical decision files for the same inputs and day", async () => {
    touchline("run", "examples/saas-b2b", "--as-of", "2026-03-01", "--state", join(scratch, "b.db"), "--out", join(scratch, "b.jsonl"), "--out", join(scratch, "b.csv"));
    expect(readFileSync(join(scratch, "b.jsonl"))).toEqual(readFileSync(join(scratch, "a.jsonl")));
    expect(readFileSync(join(scratch, "b.csv"))).toEqual(readFileSync(join(scratch, "a.csv")));
  });

  it("decides nothing new when the same day runs twice, and only what changed on the next day", async () => {
    touchline("run", "examples/saas-b2b", "--as-of", "2026-03-01", "--state", join(scratch, "a.db"), "--out", join(scratch, "a-again.jsonl"));
    expect(readFileSync(join(scratch, "a-again.jsonl"))).toEqual(readFileSync(join(scratch, "a.jsonl")));
    const next = touchline("run", "examples/saas-b2b", "--as-of", "2026-03-02", "--state", join(scratch, "a.db"));
    const planned = (text: string) => Number(/Actions: ([\d,]+) planned/.exec(text)?.[1]?.replace(/,/g, "") ?? 0);
    const first = touchline("run", "examples/saas-b2b", "--as-of", "2026-03-01", "--no-state");
    expect(planned(next.stdout)).toBeLessThan(planned(first.stdout) / 10);
    const back = touchline("run", "examples/saas-b2b", "--as-of", "2026-03-01", "--state", join(scratch, "a.db"));
    expect(back.code).toBe(1);
    expect(back.stderr).toContain("already at a later day");
  });

  it("explains an account: components, caps, tier, triggers and what changed since the previous run", async () => {
    const result = touchline("explain", "examples/saas-b2b", "ACME-00007", "--as-of", "2026-03-02", "--state", join(scratch, "a.db"));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("Account ACME-00007 as of 2026-03-02");
    expect(result.stdout).toMatch(/component\s+inputs\s+score\s+weight\s+contribution/);
    expect(result.stdout).toMatch(/adoption\s+utilization=/);
    expect(result.stdout).toContain("Tier: high_touch (the rules say");
    expect(result.stdout).toContain("notice: tier set by hand to high_touch by dana@touchline.example");
    expect(result.stdout).toMatch(/adoption_nudge\s+(yes|no)\s+(true|false)/);
    // Out of scope, the condition is still shown as it holds, agreeing with the part that decided it.
    expect(result.stdout).toMatch(/renewal_risk\s+no\s+true\s+not in scope\s+champion_left = true/);
    expect(result.stdout).toMatch(/Since the previous run:\n {2}(score|status|tier)/);
    const missing = touchline("explain", "examples/saas-b2b", "NOPE", "--as-of", "2026-03-02", "--state", join(scratch, "a.db"));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("has no account NOPE (ids are matched exactly, case included)");
  });
});

describe("explain tells a data change from a playbook edit", () => {
  const playbook = (weight: string) => `playbook "e" {
  account { usage: number  other: number }
  health {
    usage ${weight} = scale(usage, 0 .. 100)
    other 50% = scale(other, 0 .. 100)
  }
}
`;
  it("names the cause of a changed score", async () => {
    const project = new TestProject({ "playbook.play": playbook("50%"), "accounts.csv": "account_id,usage,other\nE1,80,20\n" });
    (await project.run("2026-03-01"));
    project.write("accounts.csv", "account_id,usage,other\nE1,60,20\n");
    expect(project.cli("explain", ".", "E1", "--as-of", "2026-03-02").stdout).toContain("score 50 -> 40 on 2026-03-01 -> 2026-03-02: the account's data changed (same playbook)");
    (await project.run("2026-03-02"));
    project.write("playbook.play", playbook("150%"));
    expect(project.cli("explain", ".", "E1", "--as-of", "2026-03-03").stdout).toMatch(/score 40 -> 50 on 2026-03-02 -> 2026-03-03: the playbook changed \([0-9a-f]{12} -> [0-9a-f]{12}\)/);
  });
});
