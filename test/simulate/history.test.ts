import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DataEngine } from "../../src/data/duckdb.js";
import { Rejections } from "../../src/data/rejects.js";
import { compilePlaybook } from "../../src/engine/compile.js";
import { epochDayOf } from "../../src/expression/literals.js";
import { checkText } from "../../src/language/index.js";
import { loadHistory, loadMrr, loadOutcomes } from "../../src/simulate/history.js";
import { aggregatesOn } from "../../src/simulate/windows.js";
import { csvHistory } from "../helpers/history.js";

const PLAYBOOK = `playbook "h" {
  version 1
  account {
    arr: money
    timezone: string = "UTC"
  }
  events {
    login { minutes: number }
  }
  segment big = arr >= 1200
  metric logins = count("login", 7d)
  metric minutes = sum("login", "minutes", 7d)
  health {
    usage 100% = scale(logins, 0 .. 10)
    status green >= 70, yellow >= 40
  }
}
`;

const day = (text: string) => epochDayOf(text)!;

/** The history these snapshot and event lines give for a replay from `from` to `to`. */
async function historyOf(plan: ReturnType<typeof compilePlaybook>, checked: ReturnType<typeof checkText>, snapshots: string, events: readonly string[], from: string, to: string) {
  const dir = mkdtempSync(join(tmpdir(), "touchline-history-"));
  writeFileSync(join(dir, "snapshots.csv"), snapshots);
  writeFileSync(join(dir, "events.csv"), events.join("\n") + "\n");
  const engine = await DataEngine.open();
  try {
    return await loadHistory(engine, plan, checked.environment.eventTypes, csvHistory(join(dir, "snapshots.csv"), join(dir, "events.csv")), day(from), day(to), new Rejections(), false);
  } finally {
    engine.close();
  }
}

describe("history for a replay", () => {
  const folder = mkdtempSync(join(tmpdir(), "touchline-history-"));
  writeFileSync(
    join(folder, "snapshots.csv"),
    ["account_id,as_of,arr,timezone", "A,2026-01-01,1000,Europe/Berlin", "B,2026-01-05,2000,", "A,2026-01-10,1500,UTC", "A,2026-01-10,1600,UTC", "B,2026-13-01,1,", "C,2026-03-01,5,"].join("\n") + "\n",
  );
  writeFileSync(
    join(folder, "events.csv"),
    ["account_id,timestamp,type,minutes", "A,2026-01-02T23:30:00Z,login,1.1", "A,2026-01-02T10:00:00Z,login,2.2", "B,2026-01-06T12:00:00Z,login,5", "A,2026-01-20T00:00:00Z,login,"].join("\n") + "\n",
  );
  writeFileSync(join(folder, "mrr.csv"), "account_id,month,mrr\nA,2026-01,100\nA,2026-13,5\nB,2026-02,-1\n");
  writeFileSync(join(folder, "outcomes.csv"), "account_id,date,outcome\nA,2026-02-01,churned\nB,2026-02-01,left\n");

  it("keeps every valid snapshot by date, puts events on the account's local day, and rejects bad rows with their line (snapshots, events, mrr, outcomes)", async () => {
    const checked = checkText("/h/h.play", PLAYBOOK, () => undefined);
    expect(checked.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const plan = compilePlaybook(checked);
    const engine = await DataEngine.open();
    const rejections = new Rejections();
    try {
      const history = await loadHistory(
        engine,
        plan,
        checked.environment.eventTypes,
        csvHistory(join(folder, "snapshots.csv"), join(folder, "events.csv")),
        day("2026-01-08"),
        day("2026-01-31"),
        rejections,
        false,
      );
      // C's first snapshot is after the last day replayed; the duplicate (A, 2026-01-10) and the bad date are rejected.
      expect(history.accounts.map((a) => a.id)).toEqual(["A", "B"]);
      const [a, b] = history.accounts;
      expect(a!.zone).toBe("Europe/Berlin");
      expect(a!.days).toEqual([day("2026-01-01"), day("2026-01-10")]);
      expect(a!.fields.map((f) => f.arr)).toEqual([1000, 1500]);
      expect(b!.zone).toBe("UTC");
      const rejected = rejections.groups().map((g) => `${g.field}:${g.kind}`);
      expect(rejected).toEqual(["account_id:duplicate", "as_of:calendar", "minutes:property:missing"]);
      expect(rejections.groups().map((g) => g.examples[0]!.line)).toEqual([5, 6, 5]);
      // 23:30 UTC on Jan 2 is Jan 3 in Berlin: two local days with one login each, 1.1 and 2.2 minutes summed exactly.
      const first = history.firstDay;
      expect(a!.partials[0]![day("2026-01-02") - first]).toBe(1);
      expect(a!.partials[0]![day("2026-01-03") - first]).toBe(1);
      expect((a!.partials[1] as bigint[])[day("2026-01-03") - first]).toBe(11_000_000_000n);
      expect(a!.counts[1]![day("2026-01-03") - first]).toBe(1);
      // The login without its required minutes is rejected, so it counts nowhere.
      expect(a!.partials[0]![day("2026-01-20") - first]).toBe(0);
      expect(history.events).toBe(3);

      const mrrRejects = new Rejections();
      const mrr = await loadMrr(engine, { file: join(folder, "mrr.csv"), format: "csv" }, "account_id", mrrRejects);
      expect(mrr).toEqual([{ account: "A", month: (2026 - 1970) * 12, mrr: 100, product: null }]);
      expect(mrrRejects.groups().map((g) => g.field)).toEqual(expect.arrayContaining(["month", "mrr"]));
      const outcomeRejects = new Rejections();
      const outcomes = await loadOutcomes(engine, { file: join(folder, "outcomes.csv"), format: "csv" }, "account_id", outcomeRejects);
      expect(outcomes).toEqual([{ account: "A", day: day("2026-02-01"), outcome: "churned" }]);
      expect(outcomeRejects.records).toBe(1);
    } finally {
      engine.close();
    }
  });

  it("warns of undeclared event types and unknown accounts within the days replayed only, and counts only those days' events", async () => {
    const checked = checkText("/h/h.play", PLAYBOOK, () => undefined);
    const plan = compilePlaybook(checked);
    const history = await historyOf(
      plan,
      checked,
      "account_id,as_of,arr,timezone\nA,2026-01-01,1000,Asia/Tokyo\nB,2026-01-01,2000,America/New_York\n",
      [
        "account_id,timestamp,type,minutes",
        // Before the look-back (7 days before the 8th), after the 31st (local days), and inside: only the last two kinds count.
        "A,2025-12-20T10:00:00Z,signup,1",
        "B,2026-02-01T04:59:00Z,login,1",
        "A,2026-01-31T15:00:00Z,export,1",
        "B,2026-01-15T12:00:00Z,logout,1",
        "A,2026-01-15T12:00:00Z,login,3",
        "Z,2026-01-15T12:00:00Z,login,3",
      ],
      "2026-01-08",
      "2026-01-31",
    );
    // 2026-01-31T15:00Z is February 1st in Tokyo; 2026-02-01T04:59Z is still January 31st in New York.
    expect(history.warnings).toEqual([
      "1 events of types the playbook's `events` does not declare were ignored (logout); declare a type to use it",
      "1 event of 1 account that is not among the valid accounts was ignored (for example Z)",
    ]);
    const [a, b] = history.accounts;
    expect(a!.partials[0]![day("2026-01-15") - history.firstDay]).toBe(1);
    expect(b!.partials[0]![day("2026-01-31") - history.firstDay]).toBe(1);
    // The events read within the days: the two logins, the unknown account's (ignored, and said); the undeclared one is said apart.
    expect(history.events).toBe(3);
  });

  it("counts distinct values per local day for several distinct aggregates, with filters, in the same read as the other partials, which add up across the values' rows", async () => {
    const checked = checkText(
      "/h/d.play",
      `playbook "d" {
  version 1
  account {
    arr: money
    timezone: string = "UTC"
  }
  events {
    login { user: string, device: string, minutes: number? }
    export { user: string }
  }
  metric users = distinct("login", "user", 3d)
  metric mobile_users = distinct("login", "user", 3d, where device == "mobile")
  metric devices = distinct("login", "device", 2d)
  metric exporters = distinct("export", "user", 3d)
  metric logins = count("login", 3d)
  metric minutes = sum("login", "minutes", 3d)
  metric average = avg("login", "minutes", 3d)
  metric shortest = min_of("login", "minutes", 3d)
  metric longest = max_of("login", "minutes", 3d)
  metric quiet = days_since_last("export")
  health {
    usage 100% = scale(logins, 0 .. 10)
    status green >= 70, yellow >= 40
  }
}
`,
      () => undefined,
    );
    expect(checked.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const plan = compilePlaybook(checked);
    const history = await historyOf(
      plan,
      checked,
      "account_id,as_of,arr,timezone\nA,2026-01-01,1000,UTC\nB,2026-01-01,2000,Asia/Tokyo\n",
      [
        "account_id,timestamp,type,user,device,minutes",
        "A,2026-01-10T08:00:00Z,login,u1,mobile,1.5",
        "A,2026-01-10T09:00:00Z,login,u1,desktop,4",
        "A,2026-01-11T09:00:00Z,login,u2,mobile,",
        "A,2026-01-12T09:00:00Z,login,u2,mobile,0.25",
        "A,2026-01-12T10:00:00Z,export,u3,,",
        "A,2026-01-12T11:00:00Z,export,u3,,",
        // Before the look-back: only the latest of these counts for days_since_last, whatever row it comes in.
        "B,2025-12-01T10:00:00Z,export,u8,,",
        "B,2025-12-20T10:00:00Z,export,u9,,",
        "B,2025-12-05T10:00:00Z,export,u7,,",
        // Tokyo: 2026-01-11T20:00Z is the 12th there.
        "B,2026-01-11T20:00:00Z,login,u9,tablet,3",
        "B,2026-01-11T10:00:00Z,login,u8,mobile,7",
        // An account no snapshot has: its values count nowhere.
        "Z,2026-01-12T09:00:00Z,login,u7,mobile,100",
      ],
      "2026-01-10",
      "2026-01-14",
    );
    const [a, b] = history.accounts;
    const on = (account: typeof a, date: string) => aggregatesOn(plan.aggregates, account!, history.firstDay, day(date));
    // users, mobile_users, devices (2 days), exporters, logins, minutes, average, shortest, longest, days since the last export
    expect(on(a, "2026-01-10")).toEqual([1, 1, 2, 0, 2, 5.5, 2.75, 1.5, 4, null]);
    expect(on(a, "2026-01-11")).toEqual([2, 2, 2, 0, 3, 5.5, 2.75, 1.5, 4, null]);
    expect(on(a, "2026-01-12")).toEqual([2, 2, 1, 1, 4, 5.75, 5.75 / 3, 0.25, 4, 0]);
    expect(on(a, "2026-01-14")).toEqual([1, 1, 0, 1, 1, 0.25, 0.25, 0.25, 0.25, 2]);
    expect(on(b, "2026-01-11")).toEqual([1, 1, 1, 0, 1, 7, 7, 7, 7, 22]);
    expect(on(b, "2026-01-12")).toEqual([2, 1, 2, 0, 2, 10, 5, 3, 7, 23]);
    expect(history.warnings).toEqual(["1 event of 1 account that is not among the valid accounts was ignored (for example Z)"]);
  });
});
