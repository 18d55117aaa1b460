import { main } from "../../src/cli/main.js";
import { epochDayOf, isoDateOf } from "../../src/expression/literals.js";
import { TestProject } from "./project.js";

/** A playbook and a seeded history that exercise sequences, cooldowns, limits and hysteresis over 30 days. */
export const REPLAY_PLAYBOOK = `playbook "replay" {
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

export const REPLAY_FROM = "2026-02-01";
export const REPLAY_DAYS = 30;
const ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"];

/** Seeded snapshots (tiers move, so hysteresis matters) and events (bursts and silences, so sequences and cooldowns fire). */
export function replayHistory(): { snapshots: string[][]; events: string } {
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const snapshots: string[][] = [];
  const events = ["account_id,timestamp,type,user"];
  const from = epochDayOf(REPLAY_FROM)!;
  for (let a = 0; a < 24; a++) {
    const id = `R${String(a).padStart(2, "0")}`;
    const zone = ZONES[a % ZONES.length]!;
    const first = from - 20 + Math.floor(random() * 40);
    for (let day = first; day < from + REPLAY_DAYS; day += 4 + Math.floor(random() * 8)) {
      const arr = random() < 0.5 ? 30_000 + Math.floor(random() * 40_000) : 10_000;
      snapshots.push([id, isoDateOf(day), String(arr), String(3 + (a % 5)), `admin@${id.toLowerCase()}.example`, isoDateOf(first - 5), zone]);
    }
    const busy = random();
    for (let day = from - 30; day < from + REPLAY_DAYS + 3; day++) {
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


/** The history inputs of CSV snapshots (with `as_of`) and CSV events (with `account_id,timestamp,type,...`). */
export function csvHistory(snapshots: string, events: string, timezone = "UTC") {
  return {
    snapshots: { file: snapshots, format: "csv" as const, id: "account_id", columns: {}, values: {}, joins: [], asOf: "as_of" },
    events: [{ file: events, format: "csv" as const, id: "account_id", lookup: undefined, type: undefined, typeColumn: "type", timestamp: "timestamp", properties: {} }],
    timezone,
  };
}

export const HEADER = "account_id,as_of,arr,seats,admin_email,start,timezone";

/** A project with the seeded history, and outcomes with two churns, a renewal and a bad row (line 5). */
export function historyProject(events?: string, snapshots?: string[][]): TestProject {
  const generated = replayHistory();
  return new TestProject(
    {
      "playbook.play": REPLAY_PLAYBOOK,
      "accounts.csv": "account_id,arr,seats,admin_email,start,timezone\n",
      "snapshots.csv": `${HEADER}\n${(snapshots ?? generated.snapshots).map((s) => s.join(",")).join("\n")}\n`,
      "history-events.csv": events ?? generated.events,
      "outcomes.csv": "account_id,date,outcome\nR03,2026-02-20,churned\nR05,2026-02-25,churned\nR07,2026-02-10,renewed\nR09,not a date,churned\n",
    },
    { history: { snapshots: "snapshots.csv", events: "history-events.csv", outcomes: "outcomes.csv" } },
  );
}

/** The CLI run in this process, its output captured. */
export async function cli(project: TestProject, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, { out: (t) => (stdout += `${t}\n`), err: (t) => (stderr += `${t}\n`), color: false });
  return { code, stdout, stderr };
}

