import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DataEngine } from "../../src/data/duckdb.js";
import { Rejections } from "../../src/data/rejects.js";
import { compilePlaybook } from "../../src/engine/compile.js";
import { epochDayOf } from "../../src/expression/literals.js";
import { checkText } from "../../src/language/index.js";
import { decisionRecord } from "../../src/run/output.js";
import { loadHistory } from "../../src/simulate/history.js";
import { replay } from "../../src/simulate/replay.js";
import type { PortfolioReport } from "../../src/simulate/portfolio.js";
import type { SimulationReport } from "../../src/simulate/simulate.js";
import { cli, HEADER, historyProject, REPLAY_PLAYBOOK, replayHistory } from "../helpers/history.js";
import { TestProject } from "../helpers/project.js";
import { loadProject } from "../../src/run/project.js";
import { progressBar } from "../../src/cli/simulate-command.js";

describe("touchline simulate", () => {
  it("replays the history, counts what it would have done, backtests against the churns, and writes the report", async () => {
    const project = historyProject();
    const result = await cli(project, "simulate", project.dir, "--from", "2026-02-01", "--to", "2026-03-02", "--horizon", "20d", "--out", project.path("sim"));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("replayed daily from 2026-02-01 to 2026-03-02");
    expect(result.stdout).toContain("Rejected input (1 row):");
    expect(result.stdout).toMatch(/outcomes.csv:5.*not a date/);
    expect(result.stdout).toMatch(/Backtest against 2 churns \(from outcomes\) within 20 days/);
    expect(result.stdout).toMatch(/Health score ROC AUC for churn within 20 days: [0-9.]+/);
    const report = JSON.parse(readFileSync(project.path("sim/report.json"), "utf8")) as SimulationReport;
    expect(report.days).toHaveLength(30);
    // The churned accounts leave the replay on their churn day.
    expect(report.actions.some((a) => a.account === "R03" && a.date >= "2026-02-20")).toBe(false);
    expect(report.accountDays).toBe(report.days.reduce((n, d) => n + d.accounts, 0));
    expect(report.backtest!.signals.map((s) => s.signal)).toEqual(["health.status == red", "quiet", "falling", "red_alert"]);
    // Trigger entries are signals: quiet went off within 20 days before both churns.
    expect(report.backtest!.signals.find((s) => s.signal === "quiet")).toMatchObject({ churns: 2, churnsCaught: 2 });
    expect(readFileSync(project.path("sim/actions.csv"), "utf8").split("\n")[0]).toBe("date,account,trigger,kind,target,to,status,reason");
    expect(readFileSync(project.path("sim/days.csv"), "utf8").split("\n").filter(Boolean)).toHaveLength(31);

    const weekly = await cli(project, "simulate", project.dir, "--from", "2026-02-01", "--to", "2026-03-02", "--step", "week");
    expect(weekly.code, weekly.stderr).toBe(0);
    expect(weekly.stdout).toContain("replayed weekly");
  }, 120_000);

  it("says what is wrong with its options and its project", async () => {
    const project = historyProject();
    // A report file never overwrites an input: these outcomes are named like the backtest export.
    const clashing = historyProject();
    clashing.write("backtest.csv", readFileSync(clashing.path("outcomes.csv"), "utf8"));
    clashing.write("touchline.yaml", readFileSync(clashing.path("touchline.yaml"), "utf8").replace(`"outcomes":"outcomes.csv"`, `"outcomes":"backtest.csv"`));
    const clash = await cli(clashing, "simulate", clashing.dir, "--from", "2026-02-01", "--to", "2026-03-02", "--out", clashing.dir);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toMatch(/backtest\.csv is the same file as an input/);
    expect(readFileSync(clashing.path("backtest.csv"), "utf8")).toBe(readFileSync(clashing.path("outcomes.csv"), "utf8"));
    expect(existsSync(clashing.path("report.json"))).toBe(false);
    expect((await cli(project, "simulate", project.dir, "--from", "2026-02-01", "--to", "2026-03-02", "--step", "month")).code).toBe(2);
    expect((await cli(project, "simulate", project.dir, "--from", "2026-02-01", "--to", "2026-03-02", "--horizon", "3mo")).code).toBe(2);
    const backwards = await cli(project, "simulate", project.dir, "--from", "2026-03-01", "--to", "2026-02-01");
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toContain("is before --from");
    // Each option is named in its own message; mistakes in the command are exit 2, before any work.
    const badTo = await cli(project, "simulate", project.dir, "--from", "2026-02-01", "--to", "2026-02-30");
    expect([badTo.code, badTo.stderr.trim()]).toEqual([2, 'touchline: --to must be a calendar date as YYYY-MM-DD, not "2026-02-30"']);
    project.write("afile", "x");
    const outFile = await cli(project, "simulate", project.dir, "--from", "2026-02-01", "--to", "2026-03-02", "--out", project.path("afile"));
    expect(outFile.code).toBe(2);
    expect(outFile.stderr).toContain("is a file: --out names a folder");
    // A broken playbook to compare is named as itself, not as the project's.
    project.write("broken.play", REPLAY_PLAYBOOK.replace("usage 70% = scale(logins_7d, 0 .. 20)", "usage 70% = scale(logins_7dd, 0 .. 20)"));
    const broken = await cli(project, "simulate", project.dir, "--from", "2026-02-01", "--to", "2026-03-02", "--compare", project.path("broken.play"));
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/the playbook .*broken\.play has errors/);
    const none = new TestProject({ "playbook.play": REPLAY_PLAYBOOK, "accounts.csv": "account_id,arr,seats,admin_email,start,timezone\n" });
    const missing = await cli(none, "simulate", none.dir, "--from", "2026-02-01", "--to", "2026-02-10");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("has no history snapshots");
    const strict = await cli(project, "simulate", project.dir, "--from", "2026-02-01", "--to", "2026-03-02", "--strict");
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/outcomes.csv:5: field `date`: expected a date as YYYY-MM-DD, got "not a date" \(--strict stops at the first bad row\)/);
    const early = await cli(project, "simulate", project.dir, "--from", "2020-01-01", "--to", "2020-01-10");
    expect(early.code).toBe(1);
    expect(early.stderr).toContain("has no usable snapshot on or before the last day replayed");
  }, 120_000);

  it("is point in time: changing only rows after a day leaves that day's decisions byte-identical", async () => {
    const { snapshots, events } = replayHistory();
    const cut = "2026-02-15";
    // The future rewritten: later snapshots with other values, later events doubled.
    const future = snapshots.map((s) => (s[1]! > cut ? [s[0]!, s[1]!, "999999", "1", s[4]!, s[5]!, s[6]!] : s));
    const eventLines = events.trimEnd().split("\n");
    const doubled = [...eventLines, ...eventLines.slice(1).filter((line) => line.split(",")[1]!.slice(0, 10) > "2026-02-16")].join("\n") + "\n";
    const decisionsUntil = async (project: TestProject) => {
      const checked = checkText(project.path("playbook.play"), REPLAY_PLAYBOOK, () => undefined);
      const plan = compilePlaybook(checked);
      const history = loadProject(project.dir).history!;
      const engine = await DataEngine.open();
      const lines: string[] = [];
      try {
        const from = epochDayOf("2026-02-01")!;
        const to = epochDayOf("2026-03-02")!;
        const data = await loadHistory(engine, plan, checked.environment.eventTypes, { snapshots: history.snapshots!, events: history.events, timezone: "UTC" }, from, to, new Rejections(), false);
        replay(plan, data, { from, to, step: 1 }, (_a, decision) => {
          if (decision.day <= epochDayOf(cut)!) lines.push(JSON.stringify(decisionRecord(plan, decision)));
        });
      } finally {
        engine.close();
      }
      return lines;
    };
    const before = await decisionsUntil(historyProject());
    const after = await decisionsUntil(historyProject(doubled, future));
    expect(before.length).toBeGreaterThan(100);
    expect(after).toEqual(before);
  }, 120_000);
});

describe("touchline simulate past the end of the outcomes", () => {
  it("scores only signals whose horizon the outcomes cover, and says where the history ends", async () => {
    const project = historyProject();
    // The outcomes end on 2026-02-25; replaying to 2026-03-31 must not count later signals as false alarms.
    const within = await cli(project, "simulate", project.dir, "--from", "2026-02-01", "--to", "2026-03-02", "--horizon", "20d", "--out", project.path("a"));
    const beyond = await cli(project, "simulate", project.dir, "--from", "2026-02-01", "--to", "2026-03-31", "--horizon", "20d", "--out", project.path("b"));
    expect(within.code, within.stderr).toBe(0);
    expect(beyond.code, beyond.stderr).toBe(0);
    const a = JSON.parse(readFileSync(project.path("a/report.json"), "utf8")) as SimulationReport;
    const b = JSON.parse(readFileSync(project.path("b/report.json"), "utf8")) as SimulationReport;
    expect(a.backtest!.knownUntil).toBe("2026-02-25");
    expect(b.backtest!.knownUntil).toBe("2026-02-25");
    expect(b.backtest!.signals.map((s) => s.alertsScored)).toEqual(a.backtest!.signals.map((s) => s.alertsScored));
    expect(beyond.stdout).toContain("warning: the outcomes end on 2026-02-25: signals after 2026-02-05 (less than 20 days before it) are not scored");
    expect(beyond.stdout).toMatch(/warning: the snapshots end on 2026-03-\d\d: the days after it reuse each account's last snapshot/);
    const nothing = await cli(project, "simulate", project.dir, "--from", "2026-02-20", "--to", "2026-03-02", "--horizon", "60d");
    expect(nothing.stdout).toContain("no signal can be scored");
  }, 120_000);
});

describe("touchline simulate --compare", () => {
  it("replays another version over the same history and reports where it differs, trigger by trigger, with both backtests", async () => {
    const project = historyProject();
    const itself = await cli(project, "simulate", project.dir, "--from", "2026-02-01", "--to", "2026-03-02", "--compare", project.path("playbook.play"), "--out", project.path("same"));
    expect(itself.code, itself.stderr).toBe(0);
    const same = JSON.parse(readFileSync(project.path("same/report.json"), "utf8")) as SimulationReport;
    expect(same.comparison!.differences).toMatchObject({ statusDaysDiffering: 0, tierDaysDiffering: 0, accountsDiffering: [] });
    expect(same.comparison!.differences.accountDaysCompared).toBe(same.accountDays);
    expect(same.comparison!.differences.actions.every((a) => a.added === 0 && a.removed === 0 && a.baseline === a.other)).toBe(true);

    project.write("v2.play", REPLAY_PLAYBOOK.replace("version 1", "version 2").replace("status green >= 70, yellow >= 40", "status green >= 80, yellow >= 60").replace("when logins_7d < 3", "when logins_7d < 6"));
    const result = await cli(project, "simulate", project.dir, "--from", "2026-02-01", "--to", "2026-03-02", "--compare", project.path("v2.play"), "--out", project.path("v2"));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Compared with .*v2\.play \(replay v2, [0-9a-f]{12}\)/);
    expect(result.stdout).toContain("backtest side by side");
    const report = JSON.parse(readFileSync(project.path("v2/report.json"), "utf8")) as SimulationReport;
    const comparison = report.comparison!;
    expect(comparison.playbook.version).toBe(2);
    expect(comparison.differences.statusDaysDiffering).toBeGreaterThan(0);
    expect(comparison.differences.tierDaysDiffering).toBe(0);
    // A wider condition sends the nudge more often; each row's counts add up.
    const quiet = comparison.differences.actions.find((a) => a.trigger === "quiet")!;
    expect(quiet.other).toBeGreaterThan(quiet.baseline);
    for (const row of comparison.differences.actions) expect(row.other - row.baseline).toBe(row.added - row.removed);
    expect(comparison.backtest!.signals.map((s) => s.signal)).toEqual(report.backtest!.signals.map((s) => s.signal));
    expect(comparison.days).toHaveLength(report.days.length);

    const missing = await cli(project, "simulate", project.dir, "--from", "2026-02-01", "--to", "2026-03-02", "--compare", project.path("nope.play"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no such playbook file");
  }, 120_000);
});

describe("touchline simulate on threads", () => {
  it("writes the same report files, byte for byte, on one thread and on several (the CLI as a process, with its compiled thread script)", () => {
    // The thread script exists once built: without it the replay would quietly stay on one thread, and this would prove nothing.
    expect(existsSync(new URL("../../dist/src/simulate/replay-worker.js", import.meta.url))).toBe(true);
    const project = historyProject();
    project.write("v2.play", REPLAY_PLAYBOOK.replace("version 1", "version 2").replace("when logins_7d < 3", "when logins_7d < 6"));
    const outputs = ["1", "3"].map((threads) => {
      const result = project.cli("simulate", ".", "--from", "2026-02-01", "--to", "2026-03-02", "--horizon", "20d", "--compare", "v2.play", "--threads", threads, "--out", `sim-${threads}`);
      expect(result.code, result.stderr).toBe(0);
      return { stdout: result.stdout, files: ["report.json", "days.csv", "actions.csv", "task-load.csv", "backtest.csv"].map((file) => project.read(`sim-${threads}/${file}`)) };
    });
    expect(outputs[1]!.stdout.replaceAll("sim-3", "sim-1")).toBe(outputs[0]!.stdout);
    outputs[0]!.files.forEach((file, i) => expect(outputs[1]!.files[i]).toBe(file));
    const report = JSON.parse(outputs[1]!.files[0]!) as SimulationReport;
    expect(report.actions.length).toBeGreaterThan(0);
    expect(report.comparison!.differences.actions.length).toBeGreaterThan(0);
  }, 180_000);

  it("stops, and stops every thread, when the playbook a thread compiles is not the one checked (the file changed meanwhile)", async () => {
    // The compiled modules, as the CLI runs them: threads need their compiled script.
    const dist = (module: string) => import(new URL(`../../dist/src/${module}`, import.meta.url).href);
    const [{ loadProject: load }, { preparePlaybook }, { loadHistory: history }, { DataEngine: Engine }, { Rejections: Rejects }, { replayOnThreads }] = await Promise.all(
      ["run/project.js", "run/run.js", "simulate/history.js", "data/duckdb.js", "data/rejects.js", "simulate/parallel.js"].map(dist),
    );
    const changes = [
      { text: REPLAY_PLAYBOOK.replace("version 1", "version 2"), message: /playbook\.play changed while the replay ran: run simulate again/ },
      { text: REPLAY_PLAYBOOK.replace("metric logins_7d", "metric logins_7d = ="), message: /playbook\.play changed while the replay ran and no longer checks: run touchline check, then simulate again/ },
    ];
    for (const change of changes) {
      const project = historyProject();
      const loaded = load(project.dir);
      const { plan, checked } = preparePlaybook(loaded);
      const engine = await Engine.open();
      try {
        const from = epochDayOf("2026-02-01")!;
        const to = epochDayOf("2026-03-02")!;
        const data = await history(engine, plan, checked.environment.eventTypes, { snapshots: loaded.history.snapshots, events: loaded.history.events, timezone: loaded.timezone }, from, to, new Rejects(), false);
        project.write("playbook.play", change.text);
        await expect(replayOnThreads(loaded, loaded.playbook, plan, data, { from, to, step: 1, churns: new Map() }, 3, () => {})).rejects.toThrow(change.message);
        await expect(replayOnThreads(loaded, loaded.playbook, plan, data, { from, to, step: 1, churns: new Map() }, 2.5, () => {})).rejects.toThrow("threads is a whole number of at least 1, not 2.5");
      } finally {
        engine.close();
      }
    }
  }, 60_000);

  it("refuses a number of threads that is not one", async () => {
    const project = historyProject();
    for (const threads of ["0", "two", "1.5", "65"]) {
      const result = await cli(project, "simulate", project.dir, "--from", "2026-02-01", "--to", "2026-03-02", "--threads", threads);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`--threads is a whole number from 1 to 64, not ${threads}`);
    }
  });
});

describe("touchline simulate: task load, tier moves, onboarding", () => {
  it("counts CSM tasks per owner per week against task_capacity, with tier moves and onboarding in the report", async () => {
    const project = historyProject();
    project.write("playbook.play", REPLAY_PLAYBOOK.replace("trigger quiet {", "policies { task_capacity 1 }\n  trigger quiet {"));
    const result = await cli(project, "simulate", project.dir, "--from", "2026-02-01", "--to", "2026-03-02", "--out", project.path("sim"));
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(readFileSync(project.path("sim/report.json"), "utf8")) as SimulationReport;
    expect(report.taskCapacity).toBe(1);
    const tasks = report.actions.filter((a) => a.kind === "task" && a.status === "planned");
    expect(report.taskLoad.reduce((n, t) => n + t.tasks, 0)).toBe(tasks.length);
    expect(report.taskLoad.every((t) => t.owner === "cs@example.com" && t.overCapacity === t.tasks > 1)).toBe(true);
    expect(report.taskLoad.some((t) => t.overCapacity)).toBe(true);
    expect(result.stdout).toMatch(/owner-weeks over the capacity of 1 tasks a week/);
    expect(readFileSync(project.path("sim/task-load.csv"), "utf8").split("\n")[0]).toBe("week,owner,tasks,over_capacity");
    expect(report.tierMoves.length).toBeGreaterThan(0);
    expect(report.onboarding!.milestones.map((m) => m.name)).toEqual(["first_login", "busy"]);
    expect(report.days[0]!.onboarding.tracked).toBeGreaterThan(0);
  }, 120_000);
});

describe("touchline simulate without outcomes", () => {
  it("reads churn from the revenue: the first month without MRR after a month with it", async () => {
    const generated = replayHistory();
    const ids = [...new Set(generated.snapshots.map((s) => s[0]!))];
    const mrr = ids.flatMap((id) => ["2026-01", "2026-02", "2026-03"].filter((m) => !(id === "R05" && m === "2026-03")).map((m) => `${id},${m},100`));
    const project = new TestProject(
      {
        "playbook.play": REPLAY_PLAYBOOK,
        "accounts.csv": "account_id,arr,seats,admin_email,start,timezone\n",
        "snapshots.csv": `${HEADER}\n${generated.snapshots.map((s) => s.join(",")).join("\n")}\n`,
        "history-events.csv": generated.events,
        "mrr.csv": `account_id,month,mrr\n${mrr.join("\n")}\n`,
      },
      { history: { snapshots: "snapshots.csv", events: "history-events.csv", mrr: "mrr.csv" } },
    );
    const result = await cli(project, "simulate", project.dir, "--from", "2026-02-01", "--to", "2026-03-02", "--out", project.path("sim"));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("Backtest against 1 churns (from mrr)");
    const report = JSON.parse(readFileSync(project.path("sim/report.json"), "utf8")) as SimulationReport;
    // R05 churned on 2026-03-01 and left the replay that day.
    expect(report.backtest!.churnSource).toBe("mrr");
    expect(report.days.find((d) => d.date === "2026-03-01")!.accounts).toBe(report.days.find((d) => d.date === "2026-02-28")!.accounts - 1);
  }, 120_000);
});

describe("touchline kpi", () => {
  it("by tier (the tier replayed on the month's last day), with NPS and onboarding completion at month end, worked by hand", async () => {
    const project = new TestProject(
      {
        "playbook.play": `playbook "k" {
  account { arr: money  nps: int?  start: date }
  tiers {
    big when arr >= 1000
    small otherwise
  }
  onboarding from start { live due 30d done when arr >= 2000 }
}
`,
        "accounts.csv": "account_id,arr,nps,start\n",
        // A turns small on Feb 15; B turns big (and completes onboarding) on Feb 10; C has no NPS answer.
        "snapshots.csv": "account_id,as_of,arr,nps,start\nA,2026-01-01,1500,9,2025-12-20\nB,2026-01-01,500,7,2026-01-01\nC,2026-01-01,800,,2024-01-01\nA,2026-02-15,500,3,2025-12-20\nB,2026-02-10,2500,10,2026-01-01\n",
        "mrr.csv": "account_id,month,mrr\nA,2026-01,100\nA,2026-02,100\nA,2026-03,50\nB,2026-01,50\nB,2026-02,50\nB,2026-03,200\nC,2026-01,80\nC,2026-02,80\n",
      },
      { history: { snapshots: "snapshots.csv", mrr: "mrr.csv" } },
    );
    const json = await cli(project, "kpi", project.dir, "--format", "json");
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as PortfolioReport;
    expect(report.months.map((m) => [m.month, m.nps, m.onboarding])).toEqual([
      ["2026-02", { answers: 2, promoters: 1, passives: 0, detractors: 1, nps: 0 }, { tracked: 3, complete: 1, rate: 100 / 3 }],
      ["2026-03", { answers: 2, promoters: 1, passives: 0, detractors: 1, nps: 0 }, { tracked: 3, complete: 1, rate: 100 / 3 }],
    ]);
    const tier = (name: string) => report.tiers.find((t) => t.tier === name)!.months;
    expect(tier("big").map((m) => [m.month, m.customersEnd, m.mrr, m.expansionMrr])).toEqual([["2026-02", 1, 50, 0], ["2026-03", 1, 200, 150]]);
    expect(tier("small").map((m) => [m.month, m.customersEnd, m.mrr, m.contractionMrr, m.churnMrr, m.logoChurnRate])).toEqual([["2026-02", 2, 180, 0, 0, 0], ["2026-03", 1, 50, 50, 80, 50]]);
    const table = await cli(project, "kpi", project.dir);
    expect(table.stdout).toContain("Tier big:");
    const csvOut = await cli(project, "kpi", project.dir, "--format", "csv");
    const lines = csvOut.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^tier,month,customersStart,.*,nps,promoters,passives,detractors,nps_answers,onboarding_tracked,onboarding_complete,onboarding_completion_rate$/);
    expect(lines.filter((l) => l.startsWith("big,"))).toHaveLength(2);
    // The CLI as a process (threads need the compiled thread script): an account per thread adds up to the same figures, byte for byte.
    expect(existsSync(new URL("../../dist/src/simulate/replay-worker.js", import.meta.url))).toBe(true);
    const threaded = project.cli("kpi", ".", "--format", "json", "--threads", "3");
    expect(threaded.code, threaded.stderr).toBe(0);
    expect(threaded.stdout.trim()).toBe(json.stdout.trim());
    const refused = project.cli("kpi", ".", "--threads", "0");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--threads is a whole number from 1 to 64, not 0");
  }, 120_000);

  it("kpi says what reading the history found, as simulate does: events of accounts it does not know, and event lines it cannot read", async () => {
    const generated = replayHistory();
    const lines = generated.events.trimEnd().split("\n").length;
    const project = historyProject(`${generated.events.trimEnd()}\nNOBODY,2026-02-03T10:00:00Z,login,u1\nR01,2026-02-04T10:00:00Z\n`);
    project.write("mrr.csv", "account_id,month,mrr\nR01,2026-01,100\nR01,2026-02,100\nR01,2026-03,100\n");
    project.write("touchline.yaml", readFileSync(project.path("touchline.yaml"), "utf8").replace(`"outcomes":"outcomes.csv"`, `"outcomes":"outcomes.csv","mrr":"mrr.csv"`));
    const warning = /warning: 1 event of 1 account that is not among the valid accounts was ignored \(for example NOBODY\)/;
    const broken = `history-events.csv:${lines + 2}: has 2 values but the header has 4 columns`;
    const table = await cli(project, "kpi", project.dir);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(warning);
    expect(table.stdout).toContain("Rejected input (2 rows):");
    expect(table.stdout).toContain(broken);
    const json = await cli(project, "kpi", project.dir, "--format", "json");
    expect(json.stderr).toMatch(warning);
    expect(json.stderr).toContain(broken);
    expect((JSON.parse(json.stdout) as PortfolioReport).warnings).toEqual([expect.stringContaining("NOBODY")]);
  }, 120_000);

  it("prints KPIs by month with their formulas, as a table, JSON or CSV, and renewals from the outcomes", async () => {
    const project = new TestProject(
      {
        "playbook.play": REPLAY_PLAYBOOK,
        "accounts.csv": "account_id,arr,seats,admin_email,start,timezone\n",
        "mrr.csv": "account_id,month,mrr\nX,2026-01,100\nX,2026-03,120\nY,2026-01,200\nY,2026-02,150\nY,2026-03,150\nZ,2026-02,50\nZ,2026-03,80\nW,2026-13,5\n",
        "outcomes.csv": "account_id,date,outcome\nY,2026-02-10,renewal_due\nY,2026-02-11,renewed\nZ,2026-03-01,renewal_due\n",
      },
      { history: { mrr: "mrr.csv", outcomes: "outcomes.csv" } },
    );
    const json = await cli(project, "kpi", project.dir, "--format", "json");
    expect(json.code, json.stderr).toBe(0);
    expect(json.stderr).toMatch(/mrr.csv:9: field `month`/);
    const report = JSON.parse(json.stdout) as { months: Record<string, unknown>[]; formulas: Record<string, string> };
    expect(report.months.map((m) => m.month)).toEqual(["2026-02", "2026-03"]);
    expect(report.months[0]).toMatchObject({ logoChurnRate: 50, nrr: 50, renewalRate: 100 });
    expect(report.months[1]).toMatchObject({ reactivated: 1, nrr: 115, upForRenewal: 1, renewed: 0, renewalRate: 0 });
    expect(report.formulas.nrr).toContain("start MRR");
    const csvOut = await cli(project, "kpi", project.dir, "--format", "csv");
    expect(csvOut.stdout.split("\n")[0]).toContain("tier,month,customersStart");
    const table = await cli(project, "kpi", project.dir);
    expect(table.stdout).toContain("Formulas (ARR, ARPA, LTV");
    // As a table, rejected rows come with it on stdout (as simulate prints them); as json or csv, on stderr.
    expect(table.stdout).toMatch(/mrr.csv:9: field `month`/);
    expect(table.stderr).toBe("");
    expect(table.stdout).toContain("  logo churn %: accounts that went from MRR > 0 to none");
    expect((await cli(project, "kpi", project.dir, "--format", "xml")).code).toBe(2);
    project.write("mrr.csv", "account_id,month,mrr\nX,2026-01,100\n");
    const oneMonth = await cli(project, "kpi", project.dir);
    expect(oneMonth.code).toBe(1);
    expect(oneMonth.stderr).toContain("covers one month only (2026-01)");
    const none = new TestProject({ "playbook.play": REPLAY_PLAYBOOK, "accounts.csv": "account_id\n" });
    const missing = await cli(none, "kpi", none.dir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("names no history mrr");
  }, 120_000);
});

describe("the simulate progress bar", () => {
  it("says the history is being read, then times what is left from the pace of the replay itself, not of the reading", () => {
    let clock = 0;
    let text = "";
    const bar = progressBar(true, (t) => (text += t), () => clock);
    expect(text).toBe("  reading the history...");
    // 20 s of reading, then 10 accounts done, then 10 more a second later: 80 left at 10 a second.
    clock = 20_000;
    bar.tick(10, 100);
    expect(text).toContain("10/100 accounts, working out the time left");
    clock = 21_000;
    bar.tick(20, 100);
    expect(text.slice(text.lastIndexOf("\r"))).toBe(`\r  [${"#".repeat(6)}${".".repeat(24)}] 20/100 accounts, about 8s left   `);
    // Ticks closer than a tenth of a second apart are not written, but the last one is.
    const before = text;
    clock = 21_050;
    bar.tick(21, 100);
    expect(text).toBe(before);
    bar.tick(100, 100);
    expect(text.slice(text.lastIndexOf("\r"))).toContain("100/100 accounts, about 0s left");
    bar.end();
    expect(text.endsWith("\n")).toBe(true);
    let quiet = "";
    const off = progressBar(false, (t) => (quiet += t), () => clock);
    off.tick(1, 2);
    off.end();
    expect(quiet).toBe("");
  });
});
