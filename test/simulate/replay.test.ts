import { readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { DataEngine } from "../../src/data/duckdb.js";
import { Rejections } from "../../src/data/rejects.js";
import { compilePlaybook } from "../../src/engine/compile.js";
import { encodeState } from "../../src/engine/state.js";
import { epochDayOf, isoDateOf } from "../../src/expression/literals.js";
import { checkText } from "../../src/language/index.js";
import { decisionRecord } from "../../src/run/output.js";
import { loadHistory } from "../../src/simulate/history.js";
import { replay } from "../../src/simulate/replay.js";
import { TestProject } from "../helpers/project.js";

const PLAYBOOK = `playbook "replay" {
  version 1
  account {
    arr: money
    seats: int
    admin_email: email
    start: date
    timezone: string = "UTC"
  }
  events {
    login { user: string }
  }
  metric logins_7d = count("login", 7d)
  metric users_14d = distinct("login", "user", 14d)
  metric login_trend = trend("login", 7d)
  health {
    usage 70% = scale(logins_7d, 0 .. 20)
    breadth 30% = scale(users_14d / seats, 0 .. 1)
    status green >= 70, yellow >= 40
    trend 7d
  }
  tiers hysteresis 5d {
    high_touch when arr >= 50_000
    tech_touch otherwise
  }
  onboarding from start due_soon 3d {
    first_login due 10d done when logins_7d >= 1
    busy        due 20d after first_login done when logins_7d >= 10
  }
  template "nudge" { subject "Hi" body "Hello" }
  template "second" { subject "Again" body "Hello again" }
  trigger quiet {
    when logins_7d < 3
    cooldown 6d
    email "nudge" to admin_email
  }
  trigger falling {
    when login_trend < -3
    fire while_true
    step { task "Call" due 2d owner "cs@example.com" }
    step wait 3d { email "second" to admin_email }
  }
  trigger red_alert {
    for high_touch
    when health.status == "red"
    limit 2 per 30d
    webhook "https://hooks.example.com/red"
  }
}
`;

const FROM = "2026-02-01";
const DAYS = 30;
const ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"];

/** Seeded snapshots (tiers move, so hysteresis matters) and events (bursts and silences, so sequences and cooldowns fire). */
function history(): { snapshots: string[][]; events: string } {
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const snapshots: string[][] = [];
  const events = ["account_id,timestamp,type,user"];
  const from = epochDayOf(FROM)!;
  for (let a = 0; a < 24; a++) {
    const id = `R${String(a).padStart(2, "0")}`;
    const zone = ZONES[a % ZONES.length]!;
    const first = from - 20 + Math.floor(random() * 40);
    for (let day = first; day < from + DAYS; day += 4 + Math.floor(random() * 8)) {
      const arr = random() < 0.5 ? 30_000 + Math.floor(random() * 40_000) : 10_000;
      snapshots.push([id, isoDateOf(day), String(arr), String(3 + (a % 5)), `admin@${id.toLowerCase()}.example`, isoDateOf(first - 5), zone]);
    }
    const busy = random();
    for (let day = from - 30; day < from + DAYS + 3; day++) {
      const phase = Math.sin((day + a * 3) / 6) + busy;
      const count = phase > 0.6 ? Math.floor(random() * 6) : phase > 0 ? Math.floor(random() * 2) : 0;
      for (let e = 0; e < count; e++) {
        const at = new Date((day + random()) * 86_400_000).toISOString().slice(0, 19);
        events.push(`${id},${random() < 0.5 ? `${at}Z` : at.replace("T", " ")},login,u${Math.floor(random() * 6)}`);
      }
    }
  }
  snapshots.sort((x, y) => (x[1]! < y[1]! ? -1 : x[1]! > y[1]! ? 1 : 0));
  return { snapshots, events: `${events.join("\n")}\n` };
}

describe("a replay of history", () => {
  it("gives byte-identical decisions and state to consecutive runs of each day", async () => {
    const { snapshots, events } = history();
    const header = "account_id,arr,seats,admin_email,start,timezone";
    const project = new TestProject({ "playbook.play": PLAYBOOK, "accounts.csv": `${header}\n`, "events.csv": events, "snapshots.csv": `account_id,as_of,${header.slice("account_id,".length)}\n${snapshots.map((s) => s.join(",")).join("\n")}\n` });
    const from = epochDayOf(FROM)!;

    // The runs: each day's accounts file holds every account's latest snapshot up to that day, in order of first appearance.
    const order: string[] = [];
    for (const row of snapshots) if (!order.includes(row[0]!)) order.push(row[0]!);
    const runDecisions: string[] = [];
    for (let day = from; day < from + DAYS; day++) {
      const latest = new Map<string, string[]>();
      for (const row of snapshots) if (epochDayOf(row[1]!)! <= day) latest.set(row[0]!, row);
      const rows = order.filter((id) => latest.has(id)).map((id) => { const r = latest.get(id)!; return [r[0], ...r.slice(2)].join(","); });
      project.write("accounts.csv", `${header}\n${rows.join("\n")}\n`);
      const result = await project.run(isoDateOf(day));
      expect(result.code, result.stderr).toBe(0);
      runDecisions.push(readFileSync(project.path(`decisions-${isoDateOf(day)}.jsonl`), "utf8"));
    }

    // The replay of the same days from the snapshots.
    const checked = checkText(project.path("playbook.play"), PLAYBOOK, () => undefined);
    const plan = compilePlaybook(checked);
    const engine = await DataEngine.open();
    let finals;
    const replayed = new Map<number, string[]>();
    try {
      const data = await loadHistory(
        engine,
        plan,
        checked.environment.eventTypes,
        {
          snapshots: { file: project.path("snapshots.csv"), format: "csv", id: "account_id", columns: {}, values: {}, joins: [], asOf: "as_of" },
          events: [{ file: project.path("events.csv"), format: "csv", id: "account_id", lookup: undefined, type: undefined, typeColumn: "type", timestamp: "timestamp", properties: {} }],
          timezone: "UTC",
        },
        from,
        from + DAYS - 1,
        new Rejections(),
        false,
      );
      finals = replay(plan, data, { from, to: from + DAYS - 1, step: 1 }, (_account, decision) => {
        const lines = replayed.get(decision.day) ?? [];
        lines.push(`${JSON.stringify(decisionRecord(plan, decision))}\n`);
        replayed.set(decision.day, lines);
      });
    } finally {
      engine.close();
    }
    let actions = 0;
    const kinds = new Set<string>();
    for (let i = 0; i < DAYS; i++) {
      expect((replayed.get(from + i) ?? []).join(""), `decisions of ${isoDateOf(from + i)}`).toBe(runDecisions[i]);
      for (const line of runDecisions[i]!.split("\n").filter(Boolean)) {
        const decision = JSON.parse(line) as { actions: { kind: string; trigger: string }[] };
        actions += decision.actions.length;
        for (const action of decision.actions) kinds.add(`${action.trigger}:${action.kind}`);
      }
    }
    // The history really exercises cooldowns, sequences and limits.
    expect(actions).toBeGreaterThan(20);
    expect([...kinds].sort()).toEqual(expect.arrayContaining(["falling:email", "falling:task", "quiet:email"]));

    const db = new Database(project.path(".touchline/state.db"), { readonly: true });
    const stored = new Map((db.prepare("SELECT account_id, state FROM account_state").all() as { account_id: string; state: string }[]).map((r) => [r.account_id, r.state]));
    db.close();
    expect(stored.size).toBe(finals.size);
    for (const [id, state] of finals) expect(encodeState(state), `state of ${id}`).toBe(stored.get(id));
  }, 240_000);
});
