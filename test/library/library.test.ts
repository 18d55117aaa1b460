import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** Runs a script that imports the package by its name, as a user's project would. */
function script(source: string): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync("node", ["--input-type=module", "-e", source], { cwd: root, encoding: "utf8" });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('import { ... } from "touchline"', () => {
  it("checks a playbook, runs a project, explains an account and evaluates one in memory", () => {
    const result = script(`
      import { checkPlaybook, loadProject, run, explain, compilePlaybook, evaluateAccount, Calendars, epochDayOf } from "touchline";
      const checked = checkPlaybook("playbooks/b2b-saas.play");
      const errors = checked.diagnostics.filter((d) => d.severity === "error").length;
      const project = loadProject("examples/saas-b2b");
      const result = await run(project, { asOf: "2026-03-01", useState: false });
      const why = await explain("examples/saas-b2b", "ACME-00007", { asOf: "2026-03-01", useState: false });
      const plan = compilePlaybook(checked);
      const clock = new Calendars(epochDayOf("2026-03-01")).clock("UTC");
      const fields = { arr: 150000, seats_purchased: 10, seats_active: 9, nps: 9, tickets_90d: 1, contract_start: epochDayOf("2025-01-01"), renewal_date: epochDayOf("2026-12-01"), champion_left: false, kickoff_held: true, admin_email: "a@x.io", csm_email: null, unsubscribed: false, plan: "growth", timezone: "UTC" };
      const { decision } = evaluateAccount(plan, { id: "X1", fields, clock, aggregates: plan.aggregates.map(() => 0), previous: undefined, overrides: [] });
      console.log(JSON.stringify({ errors, accounts: result.summary.accounts, tier: why.decision.tier.value, components: why.decision.health.components.length, inMemoryTier: decision.tier.value, score: decision.health.score }));
    `);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ errors: 0, accounts: 2000, tier: "high_touch", components: 4, inMemoryTier: "high_touch", score: expect.any(Number) });
  }, 60_000);
});
