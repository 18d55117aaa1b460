import { copyFileSync, existsSync, readFileSync } from "node:fs";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { TestProject } from "../helpers/project.js";
import { stateDump } from "../helpers/state.js";

const ACCOUNTS = 20_000;
const KILLS = 20;

const PLAYBOOK = `playbook "faults" {
  account { n: int  arr: money  admin_email: email  timezone: string = "UTC" }
  events { login }
  metric logins = count("login", 7d)
  health {
    usage 70% = scale(n, 0 .. 10)
    value 30% = scale(arr, 0 .. 100_000)
    trend 7d
  }
  tiers hysteresis 7d { high when arr >= 50_000  low otherwise }
  template "hi" { subject "Hi" body "Hello" }
  trigger nudge { for low  when health.score < 40  cooldown 14d  email "hi" to admin_email }
  trigger welcome {
    when logins > 0
    limit once
    step { email "hi" to admin_email }
    step wait 1d { task "Call" owner admin_email }
  }
  policies { cap email 1 per 7d }
}
`;

function accounts(day: number): string {
  const zones = ["UTC", "Europe/Berlin", "America/New_York"];
  const rows = Array.from({ length: ACCOUNTS }, (_, i) => `A${i},${(i * 7 + day) % 11},${(i * 977) % 100_000},a${i}@x.io,${zones[i % 3]}`);
  return `account_id,n,arr,admin_email,timezone\n${rows.join("\n")}\n`;
}

function events(): string {
  const rows = Array.from({ length: 20_000 }, (_, i) => `A${(i * 13) % ACCOUNTS},2026-03-0${1 + (i % 3)}T${String(i % 24).padStart(2, "0")}:00:00Z,login`);
  return `account_id,timestamp,type\n${rows.join("\n")}\n`;
}

describe("a run killed at any point leaves the state as it was, and the rerun gives what an uninterrupted run gives", () => {
  it(`kill -9 at ${KILLS} random points of a ${ACCOUNTS.toLocaleString("en-US")}-account run`, async () => {
    const p = new TestProject({ "playbook.play": PLAYBOOK, "accounts.csv": accounts(1), "events.csv": events() });
    expect(p.cli("run", ".", "--as-of", "2026-03-01", "--state", "day1.db").code).toBe(0);
    new Database(p.path("day1.db")).pragma("wal_checkpoint(TRUNCATE)");
    p.write("accounts.csv", accounts(2));

    // The reference: the next day, uninterrupted, from the same state.
    copyFileSync(p.path("day1.db"), p.path("reference.db"));
    const started = Date.now();
    const reference = p.cli("run", ".", "--as-of", "2026-03-02", "--state", "reference.db", "--out", "reference.jsonl");
    const duration = Date.now() - started;
    expect(reference.code, reference.stderr).toBe(0);
    const expectedState = stateDump(p.path("reference.db"));
    const expectedDecisions = readFileSync(p.path("reference.jsonl"));

    let seed = 20260302;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const dayBefore = stateDump(p.path("day1.db"));
    let killedMidway = 0;
    for (let k = 0; k < KILLS; k++) {
      const state = `kill-${k}.db`;
      copyFileSync(p.path("day1.db"), p.path(state));
      const run = p.start("run", ".", "--as-of", "2026-03-02", "--state", state, "--out", `kill-${k}.jsonl`);
      await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * duration)));
      run.child.kill("SIGKILL");
      const result = await run.done;
      if (result.signal === "SIGKILL") {
        killedMidway++;
        const after = stateDump(p.path(state));
        if (existsSync(p.path(`kill-${k}.jsonl`))) {
          // Killed after its work was done (files under their names, the process not yet gone): the whole day, nothing partial.
          expect(readFileSync(p.path(`kill-${k}.jsonl`)).equals(expectedDecisions), `decisions of kill ${k}, before the rerun`).toBe(true);
          expect(after === expectedState, `state after kill ${k}, before the rerun`).toBe(true);
        } else {
          // Killed: no decision file under its name, and the state as the day before left it; or, killed in
          // the instant between the state's commit and the files' renaming, the day's state (the rerun writes the files).
          expect(after === dayBefore || after === expectedState, `state after kill ${k}, before the rerun`).toBe(true);
        }
      }
      const rerun = p.cli("run", ".", "--as-of", "2026-03-02", "--state", state, "--out", `kill-${k}.jsonl`);
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(readFileSync(p.path(`kill-${k}.jsonl`)).equals(expectedDecisions), `decisions after kill ${k}`).toBe(true);
      expect(stateDump(p.path(state)) === expectedState, `state after kill ${k}`).toBe(true);
    }
    expect(killedMidway).toBeGreaterThan(KILLS / 2);
  }, 600_000);
});
