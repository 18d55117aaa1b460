import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { TestProject, type Decision } from "../helpers/project.js";
import { bin } from "../helpers/project.js";
import { spawnSync } from "node:child_process";

const root = fileURLToPath(new URL("../../", import.meta.url));
const fixtures = join(root, "test/fixtures");

/** A copy of a bundled example whose touchline.yaml reads the test fixtures instead of ../shared/data. */
function exampleOnFixtures(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `touchline-${name}-`));
  cpSync(join(root, "examples", name), dir, { recursive: true });
  const config = readFileSync(join(dir, "touchline.yaml"), "utf8");
  expect(config).toContain("../../../shared/data/");
  writeFileSync(join(dir, "touchline.yaml"), config.replaceAll("../../../shared/data/", `${fixtures}/`));
  return dir;
}

function run(dir: string, day: string): { code: number | null; stdout: string; stderr: string; decisions: Map<string, Decision> } {
  const result = spawnSync("node", [bin, "run", dir, "--as-of", day, "--no-state", "--out", join(dir, "d.jsonl")], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  const decisions = new Map<string, Decision>();
  for (const line of readFileSync(join(dir, "d.jsonl"), "utf8").split("\n").filter(Boolean)) {
    const decision = JSON.parse(line) as Decision;
    decisions.set(decision.account, decision);
  }
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, decisions };
}

/** Rows of a fixture CSV (none of them quotes a comma). */
function rows(file: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(join(fixtures, file), "utf8").trim().split(/\r?\n/);
  const names = header!.split(",");
  return lines.map((line) => Object.fromEntries(line.split(",").map((v, i) => [names[i], v])));
}

describe("examples/ravenstack reads RavenStack's exports as they are", () => {
  it("joins each account's latest subscription, looks usage up by subscription, and counts tickets by priority", async () => {
    const dir = exampleOnFixtures("ravenstack");
    const result = run(dir, "2024-12-31");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("40 accounts evaluated.");
    expect(result.stdout).not.toContain("rejected");
    expect(result.decisions.size).toBe(40);

    // The same figures computed here by hand from the fixture rows.
    const subscriptions = rows("ravenstack/ravenstack_subscriptions.csv");
    const accountOf = new Map(subscriptions.map((s) => [s.subscription_id!, s.account_id!]));
    const usage = rows("ravenstack/ravenstack_feature_usage.csv");
    const tickets = rows("ravenstack/ravenstack_support_tickets.csv");
    const inWindow = (date: string, days: number) => date <= "2024-12-31" && date > new Date(Date.UTC(2024, 11, 31) - days * 86_400_000).toISOString().slice(0, 10);
    for (const [id, decision] of result.decisions) {
      const latest = subscriptions.filter((s) => s.account_id === id).reduce((a, b) => (b.start_date! >= a.start_date! ? b : a));
      const mine = usage.filter((u) => accountOf.get(u.subscription_id!) === id && inWindow(u.usage_date!, 90));
      expect(decision.metrics.uses_90d, id).toBe(mine.reduce((sum, u) => sum + Number(u.usage_count), 0));
      expect(decision.metrics.features_90d, id).toBe(new Set(mine.map((u) => u.feature_name)).size);
      const urgent = tickets.filter((t) => t.account_id === id && inWindow(t.submitted_at!, 90) && (t.priority === "urgent" || t.escalation_flag === "True"));
      expect(decision.metrics.urgent_tickets_90d, id).toBe(urgent.length);
      const arr = Number(latest.arr_amount);
      expect(decision.tier!.value, id).toBe(arr >= 150_000 ? "high_touch" : arr >= 30_000 ? "low_touch" : "tech_touch");
      expect(decision.segments.ending, id).toBe(latest.end_date !== "");
    }
  }, 60_000);
});

describe("examples/ravenstack's history, converted from the exports by scripts/convert-ravenstack", () => {
  it("writes point-in-time snapshots, MRR summed over overlapping subscriptions, churn from the churn events, and simulate backtests on it", async () => {
    const dir = exampleOnFixtures("ravenstack");
    const converted = spawnSync("node", [join(root, "dist/scripts/convert-ravenstack.js"), join(fixtures, "ravenstack"), join(dir, "history")], { encoding: "utf8" });
    expect(converted.status, converted.stderr).toBe(0);
    expect(converted.stdout).toMatch(/40 accounts \(at signup, then monthly\)/);
    const table = (name: string) => {
      const [header, ...lines] = readFileSync(join(dir, "history", name), "utf8").trim().split("\n");
      const names = header!.split(",");
      return lines.map((line) => Object.fromEntries(line.split(",").map((v, i) => [names[i], v])));
    };
    const snapshots = table("snapshots.csv");
    const subscriptions = rows("ravenstack/ravenstack_subscriptions.csv");
    const events = rows("ravenstack/ravenstack_churn_events.csv");
    // Nothing from after a snapshot's day: no end date still to come, never the final churn label.
    for (const s of snapshots) {
      expect(s.subscription_end === "" || s.subscription_end! <= s.as_of!, `${s.account_id} ${s.as_of}`).toBe(true);
      expect(s.subscription_start! <= s.as_of! || s.subscription_start === s.signup_date).toBe(true);
      expect(s.churn_flag).toBe("False");
    }
    // Every account from its signup day.
    const accounts = rows("ravenstack/ravenstack_accounts.csv");
    for (const a of accounts) expect(snapshots.find((s) => s.account_id === a.account_id)!.as_of).toBe(a.signup_date);
    // MRR of a month: the subscriptions active on its last day, summed.
    for (const m of table("mrr.csv").slice(0, 60)) {
      const [year, month] = m.month!.split("-").map(Number) as [number, number];
      const last = new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10);
      const expected = subscriptions.filter((s) => s.account_id === m.account_id && s.start_date! <= last && (s.end_date === "" || s.end_date! >= last)).reduce((n, s) => n + Number(s.mrr_amount), 0);
      expect(Number(m.mrr), `${m.account_id} ${m.month}`).toBe(expected);
    }
    const outcomes = table("outcomes.csv");
    expect(outcomes.filter((o) => o.outcome === "churned")).toHaveLength(events.length);
    expect(outcomes.filter((o) => o.outcome === "expanded")).toHaveLength(subscriptions.filter((s) => s.upgrade_flag === "True").length);

    const simulated = spawnSync("node", [bin, "simulate", dir, "--from", "2023-06-01", "--to", "2024-12-31", "--step", "week", "--out", join(dir, "sim")], { encoding: "utf8" });
    expect(simulated.status, simulated.stderr).toBe(0);
    expect(simulated.stdout).toMatch(/replayed weekly from 2023-06-01 to 2024-12-31: 40 accounts/);
    expect(simulated.stdout).toMatch(/Backtest against \d+ churns \(from outcomes\)/);
    expect(simulated.stdout).not.toContain("not among the valid accounts");
  }, 120_000);
});

describe("examples/telco reads IBM's Telco churn table as it is", () => {
  it("reads Yes/No and 0/1 as booleans, enum values with spaces, and a blank total as missing", async () => {
    const dir = exampleOnFixtures("telco");
    const result = run(dir, "2020-06-25");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("400 accounts evaluated.");
    expect(result.stdout).not.toContain("rejected");
    const customers = rows("ibm-telco-churn/Telco-Customer-Churn.csv");
    for (const customer of customers) {
      const decision = result.decisions.get(customer.customerID!)!;
      const commitment = customer.Contract === "Two year" ? 100 : customer.Contract === "One year" ? 70 : 15;
      expect(decision.health!.components.commitment!.score, customer.customerID).toBe(commitment);
      expect(decision.segments.month_to_month).toBe(customer.Contract === "Month-to-month");
      expect(decision.metrics.arr).toBeCloseTo(Number(customer.MonthlyCharges) * 12, 6);
    }
  }, 60_000);

  it("scripts/telco-auc scores the health score against the churn label", async () => {
    const dir = exampleOnFixtures("telco");
    const result = spawnSync("node", [join(root, "dist/scripts/telco-auc.js"), dir], { encoding: "utf8" });
    expect(result.status, result.stderr).toBe(0);
    const customers = rows("ibm-telco-churn/Telco-Customer-Churn.csv");
    expect(result.stdout).toContain(`${customers.length} customers scored; ${customers.filter((c) => c.Churn === "Yes").length} churned`);
    // The score separates churners better than chance on this cut too.
    expect(Number(/ROC AUC against the churn label: ([0-9.]+)/.exec(result.stdout)![1])).toBeGreaterThan(0.6);
    expect(result.stdout.match(/^ +\d+ +scores /gm)).toHaveLength(10);
  }, 60_000);
});

describe("export quirks", () => {
  const PLAYBOOK = `playbook "quirks" {
  account { active: bool  trial: bool  plan: enum(basic, pro)  since: date  seen: datetime?  timezone: string = "UTC" }
  events { login { user: string }  ticket { priority: enum(low, urgent) } }
  metric logins_7d = count("login", 7d)
  metric users_7d = distinct("login", "user", 7d)
  metric urgent_30d = count("ticket", 30d, where priority == "urgent")
  metric quiet_days = days_since_last("login")
  health { usage 100% = scale(logins_7d, 0 .. 10) }
}
`;

  it("booleans, mapped values and columns, date-times as tools write them, several event sources", async () => {
    const project = new TestProject(
      {
        "playbook.play": PLAYBOOK,
        "crm.csv": [
          "Customer ID,Is Active,trial,Plan Name,Signed Up,Last Seen,timezone",
          "A1,True,no,Pro Plan,2024-10-17 00:00:00,2026-02-28 19:00:00,Europe/Berlin",
          "A2,yes,1,Basic Plan,2024-10-17,2026-02-28T19:00:00Z,",
          "A3,0,FALSE,Basic Plan,2024-10-17,,America/Nowhere",
        ].join("\n"),
        "logins.csv": "user_id,account,ts\nu1,A1,2026-02-28 23:30:00\nu2,A1,2026-03-01T00:30:00+01:00\nu1,A2,2026-02-25\nu3,A3,2026-02-20T10:00:00.123Z\n",
        "tickets.jsonl": '{"account_id":"A1","kind":"ticket","at":"2026-02-10T09:00:00Z","priority":"urgent"}\n{"account_id":"A1","kind":"ticket","at":"2026-02-11T09:00:00Z","priority":"low"}\n',
      },
      {
        accounts: { file: "crm.csv", id: "Customer ID", columns: { active: "Is Active", plan: "Plan Name", since: "Signed Up", seen: "Last Seen" }, values: { plan: { "Pro Plan": "pro", "Basic Plan": "basic" } } },
        events: [
          { file: "logins.csv", id: "account", type: "login", timestamp: "ts", properties: { user: "user_id" } },
          { file: "tickets.jsonl", type_column: "kind", timestamp: "at" },
        ],
        timezone: "America/New_York",
      },
    );
    const result = (await project.run("2026-03-01", "--no-state"));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toContain("rejected");
    expect(result.stdout).toContain('1 account has a time zone nobody knows ("America/Nowhere"): they are evaluated in the project\'s zone, America/New_York');
    const a1 = result.decisions.get("A1")!;
    // A zone-less time is read in the account's zone (Berlin): 23:30 on 28 February is still in the last 7 days, and
    // 00:30+01:00 on 1 March is today there.
    expect(a1.metrics).toMatchObject({ logins_7d: 2, users_7d: 2, urgent_30d: 1, quiet_days: 0 });
    expect(result.decisions.get("A2")!.metrics).toMatchObject({ logins_7d: 1, quiet_days: 4 });
    expect(result.decisions.get("A3")!.metrics).toMatchObject({ logins_7d: 0, quiet_days: 9 });
  });
});

describe("a joined file", () => {
  it("without latest, must have one row per account: several are refused with the accounts named and the fix, not settled by file order", async () => {
    const project = new TestProject(
      {
        "playbook.play": 'playbook "p" {\n  account { mrr: money }\n  tiers {\n    big when mrr >= 100\n    small otherwise\n  }\n}\n',
        "accounts.csv": "account_id\nA1\nA2\nA3\n",
        "subscriptions.csv": "account_id,start,mrr\nA1,2024-01-01,50\nA2,2024-01-01,500\nA1,2024-06-01,200\nA3,2024-01-01,10\nA1,2023-01-01,5\nA3,2024-02-01,20\n",
      },
      { accounts: { file: "accounts.csv", join: [{ file: "subscriptions.csv", on: "account_id", columns: { mrr: "mrr" } }] } },
    );
    const refused = await project.run("2026-03-01", "--no-state");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`touchline: ${project.path("subscriptions.csv")} has several rows for 2 accounts (A1 (3 rows), A3 (2 rows)): say which row is the account's with \`latest: <column>\` on this join in touchline.yaml (the row with the greatest value wins, such as the latest start date), or give it one row per account\n`);
    expect(refused.decisions.size).toBe(0);

    project.write("touchline.yaml", "playbook: playbook.play\naccounts:\n  file: accounts.csv\n  join:\n    - { file: subscriptions.csv, on: account_id, latest: start, columns: { mrr: mrr } }\n");
    const latest = await project.run("2026-03-01", "--no-state");
    expect(latest.code, latest.stderr).toBe(0);
    expect([...latest.decisions.values()].map((d) => [d.account, d.tier!.value])).toEqual([["A1", "big"], ["A2", "big"], ["A3", "small"]]);

    // A bad value from the joined file: the account's line, and the file and column the value came from.
    project.write("subscriptions.csv", "account_id,start,mrr\nA1,2024-01-01,50\nA2,2024-01-01,500\nA3,2024-02-01,lots\n");
    const bad = await project.run("2026-03-01", "--no-state");
    expect(bad.stdout).toContain('accounts.csv:4: field `mrr`: expected an amount, got "lots" (column `mrr` of subscriptions.csv, joined on `account_id` by the latest `start`)');
    // A column mapped that the file does not have: the closest one, or the columns there are.
    project.write("touchline.yaml", "playbook: playbook.play\naccounts:\n  file: accounts.csv\n  join:\n    - { file: subscriptions.csv, on: account_id, latest: start, columns: { mrr: mrrr } }\n");
    expect((await project.run("2026-03-01", "--no-state")).stderr).toContain("touchline.yaml maps `mrr` to the column `mrrr`, which this file does not have; did you mean `mrr`?");
    project.write("touchline.yaml", "playbook: playbook.play\naccounts:\n  file: accounts.csv\n  join:\n    - { file: subscriptions.csv, on: account_id, latest: start, columns: { mrr: monthly_revenue } }\n");
    expect((await project.run("2026-03-01", "--no-state")).stderr).toContain("which this file does not have; its columns are `account_id`, `start`, `mrr`");
  });
});

describe("a value mapped by touchline.yaml that the contract refuses", () => {
  it("is reported with the value the file holds, so the mapping is the place to look", async () => {
    const project = new TestProject(
      { "playbook.play": 'playbook "p" {\n  account { plan: enum(basic, enterprise) }\n}\n', "accounts.csv": "account_id,plan\nA1,Basic\nA2,Enterprise\nA3,Basic\n" },
      { accounts: { file: "accounts.csv", values: { plan: { Basic: "basic", Enterprise: "enterprize" } } } },
    );
    const result = await project.run("2026-03-01", "--no-state");
    expect(result.stdout).toContain('accounts.csv:3: field `plan`: expected one of basic, enterprise, got "enterprize" (touchline.yaml maps "Enterprise" to it)');
  });
});

describe("an --as-of the events cannot reach", () => {
  it("is said: before the first event, or past the longest window after the last (every count 0 reads as a quiet portfolio)", async () => {
    const project = new TestProject(
      {
        "playbook.play": 'playbook "p" {\n  account { n: int }\n  events { login { } }\n  metric logins_30d = count("login", 30d)\n  metric logins_90d = count("login", 90d)\n}\n',
        "accounts.csv": "account_id,n\nA1,1\n",
        "events.csv": "account_id,timestamp,type\nA1,2026-01-10T10:00:00Z,login\nA1,2026-02-20T10:00:00Z,login\n",
      },
      { events: "events.csv" },
    );
    const before = await project.run("2025-06-01", "--no-state");
    expect(before.stdout).toContain("warning: every event is after --as-of 2025-06-01 (the first is on 2026-01-10): each event aggregate is 0 or missing; is --as-of the day you meant?");
    const after = await project.run("2026-06-01", "--no-state");
    expect(after.stdout).toContain("warning: the latest event is on 2026-02-20, more than the playbook's longest window (90 days) before --as-of 2026-06-01: every event count over a window is 0");
    for (const day of ["2026-03-01", "2026-05-20"]) {
      const within = await project.run(day, "--no-state");
      expect(within.code, within.stderr).toBe(0);
      expect(within.stdout, day).not.toMatch(/every event|latest event/);
    }
  });
});

describe("date-times without a zone", () => {
  it("a date alone is midnight in the account's zone, like a zone-less time, and an event's zone name changes no other row", async () => {
    const project = new TestProject(
      {
        "playbook.play": 'playbook "p" {\n  account { seen: datetime  timezone: string = "UTC" }\n  events { login { } }\n  metric days_seen = now() - seen\n  metric logins_1d = count("login", 1d)\n}\n',
        "accounts.csv": "account_id,seen,timezone\nA1,2026-02-28,Asia/Tokyo\nA2,2026-02-28 00:00:00,Asia/Tokyo\nA3,2026-02-28T00:00:00Z,Asia/Tokyo\nA4,2026-02-28T00:00Z,Asia/Tokyo\n",
        // The second login is midnight in Tokyo, whatever zone the line before it named; the last one too (ISO 8601
        // without seconds, which DuckDB's cast alone does not read with a zone).
        "events.csv": "account_id,timestamp,type\nA1,2026-02-28 20:30:00 Asia/Kolkata,login\nA1,2026-03-01,login\nA1,2026-02-28 23:59:00,login\nA1,2026-02-28T15:00Z,login\n",
      },
      { events: "events.csv" },
    );
    const result = await project.run("2026-03-01", "--no-state");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toContain("rejected");
    // now() is the end of 1 March in Tokyo: two days after midnight of 28 February there, 9 hours fewer after midnight UTC.
    expect(result.decisions.get("A1")!.metrics).toMatchObject({ days_seen: 2, logins_1d: 3 });
    expect(result.decisions.get("A2")!.metrics).toMatchObject({ days_seen: 2 });
    expect(result.decisions.get("A3")!.metrics).toMatchObject({ days_seen: 1.625 });
    expect(result.decisions.get("A4")!.metrics).toMatchObject({ days_seen: 1.625 });
  });
});

describe("rejections a person can read", () => {
  it("one recurring mistake in a column reads as one line with a count, the first lines and a hint", async () => {
    const rows = Array.from({ length: 60 }, (_, i) => `A${i},${i % 20 === 0 ? "basic" : "Pro Plan"}`);
    const project = new TestProject({ "playbook.play": 'playbook "p" {\n  account { plan: enum(basic, pro) }\n}\n', "accounts.csv": `account_id,plan\n${rows.join("\n")}\n` }, { max_rejects: "100%" });
    const result = (await project.run("2026-03-01", "--no-state"));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('accounts.csv: field `plan`: 57 rows: expected one of basic, pro, got "Pro Plan" (lines 3, 4, 5, ...)');
    expect(result.stdout).toContain("most rows fail the same way: declare `plan` with the type its values have");
    expect(result.stdout.split("\n").filter((l) => l.includes("Pro Plan"))).toHaveLength(1);
    expect(project.read(".touchline/rejects.jsonl").trim().split("\n")).toHaveLength(57);
  });
});
