import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, truncateSync, writeFileSync } from "node:fs";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { TestProject } from "../helpers/project.js";
import { isLocked, stateDump } from "../helpers/state.js";

const PLAYBOOK = `playbook "state" {
  account { n: int  admin_email: email }
  health { usage 100% = scale(n, 0 .. 10) }
  template "hello" { subject "Hi" body "Hello" }
  trigger nudge { when n < 5  fire while_true  cooldown 30d  email "hello" to admin_email }
}
`;
const accounts = (count: number) => `account_id,n,admin_email\n${Array.from({ length: count }, (_, i) => `A${i},${i % 10},a${i}@x.io`).join("\n")}\n`;

function project(count = 3): TestProject {
  return new TestProject({ "playbook.play": PLAYBOOK, "accounts.csv": accounts(count) });
}

describe("the state file is refused when it cannot be Touchline's", () => {
  const cases: [string, (p: TestProject) => void, RegExp][] = [
    ["an empty file (a crash while creating it must not look like a fresh start)", (p) => writeFileSync(p.path(".touchline/state.db"), ""), /is empty/],
    ["a file that is not SQLite", (p) => writeFileSync(p.path(".touchline/state.db"), "account_id,n\nA1,3\n"), /is not an SQLite database/],
    ["another program's SQLite database", (p) => new Database(p.path(".touchline/state.db")).exec("CREATE TABLE invoices (id INTEGER); INSERT INTO invoices VALUES (1);"), /not one of Touchline's/],
  ];
  for (const [what, prepare, message] of cases) {
    it(what, async () => {
      const p = project();
      mkdirSync(p.path(".touchline"), { recursive: true });
      prepare(p);
      const before = readFileSync(p.path(".touchline/state.db"));
      const run = p.cli("run", ".", "--as-of", "2026-03-01", "--out", "d.jsonl");
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/\n\s+at |internal error/);
      expect(readFileSync(p.path(".touchline/state.db"))).toEqual(before);
      expect(p.exists("d.jsonl")).toBe(false);
    });
  }

  it("a truncated state file", async () => {
    const p = project(200);
    expect(p.cli("run", ".", "--as-of", "2026-03-01").code).toBe(0);
    // Fold the write-ahead log into the file first, then cut the file in half.
    new Database(p.path(".touchline/state.db")).pragma("wal_checkpoint(TRUNCATE)");
    const size = statSync(p.path(".touchline/state.db")).size;
    truncateSync(p.path(".touchline/state.db"), Math.floor(size / 2));
    const run = p.cli("run", ".", "--as-of", "2026-03-02");
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/truncated|damaged/);
    expect(statSync(p.path(".touchline/state.db")).size).toBe(Math.floor(size / 2));
  });
});

describe("runs on one state file never interleave", () => {
  it("an earlier day that waited for a later one holding the lock is refused, and the later state stays", async () => {
    const p = project(30_000);
    expect(p.cli("run", ".", "--as-of", "2026-03-01").code).toBe(0);
    const later = p.start("run", ".", "--as-of", "2026-03-05");
    // Start the earlier day only once the later run holds the write lock.
    while (!isLocked(p.path(".touchline/state.db"))) {
      const exited = await Promise.race([later.done.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 5))]);
      if (exited) throw new Error("the later run finished before it could be seen holding the lock");
    }
    const earlier = p.start("run", ".", "--as-of", "2026-03-04", "--wait", "120");
    const [a, b] = await Promise.all([later.done, earlier.done]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain("already at a later day (2026-03-05)");
    const db = new Database(p.path(".touchline/state.db"), { readonly: true });
    expect(db.prepare("SELECT MAX(day) AS day FROM account_state").get()).toEqual({ day: 20517 });
    db.close();
  }, 180_000);

  it("a run that finds the state held by another, and may not wait longer, is refused with a clear message and changes nothing", async () => {
    const p = project(100);
    expect(p.cli("run", ".", "--as-of", "2026-03-01").code).toBe(0);
    const before = stateDump(p.path(".touchline/state.db"));
    // Another run holds the state's write lock.
    const other = new Database(p.path(".touchline/state.db"));
    other.exec("BEGIN IMMEDIATE");
    try {
      for (const wait of ["0", "1"]) {
        const run = p.cli("run", ".", "--as-of", "2026-03-02", "--wait", wait, "--out", "second.jsonl");
        expect(run.code).toBe(1);
        expect(run.stderr).toContain("another touchline run is using the state file");
        expect(run.stderr).not.toContain("internal error");
        expect(p.exists("second.jsonl")).toBe(false);
      }
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    expect(stateDump(p.path(".touchline/state.db"))).toBe(before);
    expect(p.cli("run", ".", "--as-of", "2026-03-02", "--wait", "0").code).toBe(0);
  }, 60_000);
});

describe("history outlives a trigger taken out of the playbook for a while", () => {
  it("a trigger put back does not fire inside the cooldown it had reached", async () => {
    const p = new TestProject({ "playbook.play": PLAYBOOK, "accounts.csv": "account_id,n,admin_email\nA1,1,a1@x.io\n" });
    expect((await p.run("2026-03-01")).decisions.get("A1")!.actions).toMatchObject([{ trigger: "nudge", status: "planned" }]);
    p.write("playbook.play", PLAYBOOK.replace(/  trigger nudge[^\n]*\n/, ""));
    expect((await p.run("2026-03-05")).decisions.get("A1")!.actions).toEqual([]);
    p.write("playbook.play", PLAYBOOK);
    expect((await p.run("2026-03-10")).decisions.get("A1")!.actions).toEqual([]);
    expect((await p.run("2026-03-31")).decisions.get("A1")!.actions).toMatchObject([{ trigger: "nudge", status: "planned" }]);
  }, 60_000);
});

describe("outputs never overwrite inputs, the state or each other", () => {
  const cases: [string, string[]][] = [
    ["decisions over the accounts input", ["--out", "accounts.csv"]],
    ["decisions over the playbook", ["--out", "playbook.play"]],
    ["decisions over the state file", ["--out", ".touchline/state.db"]],
    ["the state over the accounts input", ["--state", "accounts.csv"]],
    ["rejects over decisions", ["--out", "d.jsonl", "--rejects", "d.jsonl"]],
    ["two decision files with one name", ["--out", "d.jsonl", "--out", "./sub/../d.jsonl"]],
  ];
  for (const [what, args] of cases) {
    it(what, async () => {
      const p = project();
      mkdirSync(p.path("sub"), { recursive: true });
      const accountsBefore = p.read("accounts.csv");
      const run = p.cli("run", ".", "--as-of", "2026-03-01", ...args);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/is the same file as/);
      expect(p.read("accounts.csv")).toBe(accountsBefore);
      expect(p.exists(".touchline/state.db")).toBe(false);
    });
  }
});

/** Mounts a small tmpfs for a test of a full or read-only disk; undefined where the machine does not allow it. */
function smallDisk(options: string): string | undefined {
  const dir = `/tmp/touchline-disk-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    mkdirSync(dir);
    execFileSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir], { stdio: "ignore" });
    return dir;
  } catch {
    return undefined;
  }
}

const probe = smallDisk("size=64k");
if (probe) execFileSync("umount", [probe]);
const canMount = probe !== undefined;
if (!canMount) console.log("skipped: the disk-full and read-only tests need to mount a tmpfs (root on Linux), which this machine does not allow");

describe.skipIf(!canMount)("a full or read-only disk stops the run before the state moves", () => {
  for (const [what, options, message] of [
    ["a full disk", "size=64k", /the disk is full/],
    ["a read-only disk", "ro,size=64k", /read-only|cannot be created/],
  ] as const) {
    it(what, async () => {
      const p = project(5_000);
      expect(p.cli("run", ".", "--as-of", "2026-03-01").code).toBe(0);
      const before = stateDump(p.path(".touchline/state.db"));
      const disk = smallDisk(options)!;
      try {
        const run = p.cli("run", ".", "--as-of", "2026-03-02", "--out", `${disk}/decisions.jsonl`);
        expect(run.code).toBe(2);
        expect(run.stderr).toMatch(message);
        expect(run.stderr).not.toMatch(/internal error|\n\s+at /);
        expect(stateDump(p.path(".touchline/state.db"))).toBe(before);
        expect(readdirSync(disk)).toEqual([]);
      } finally {
        execFileSync("umount", [disk]);
      }
    }, 60_000);
  }
});

describe("a killed run leaves no half file under the final name", () => {
  it("only a complete decision file ever appears", async () => {
    const p = project(30_000);
    const run = p.start("run", ".", "--as-of", "2026-03-01", "--out", "decisions.jsonl");
    while (!isLocked(p.path(".touchline/state.db"))) await new Promise((resolve) => setTimeout(resolve, 5));
    run.child.kill("SIGKILL");
    const killed = (await run.done).signal === "SIGKILL";
    // Killed midway: no file under the final name; finished first: the whole file.
    if (killed) expect(existsSync(p.path("decisions.jsonl"))).toBe(false);
    else expect(p.read("decisions.jsonl").trim().split("\n")).toHaveLength(30_000);
    const again = p.cli("run", ".", "--as-of", "2026-03-01", "--out", "decisions.jsonl");
    expect(again.code).toBe(0);
    expect(p.read("decisions.jsonl").trim().split("\n")).toHaveLength(30_000);
  }, 120_000);
});

describe("state files of Touchline 0.1", () => {
  it("are brought up to date on the next run, and their history holds", async () => {
    const p = new TestProject({ "playbook.play": PLAYBOOK, "accounts.csv": "account_id,n,admin_email\nA1,1,a1@x.io\n" });
    mkdirSync(p.path(".touchline"));
    const db = new Database(p.path(".touchline/state.db"));
    db.exec(`
      CREATE TABLE account_state (account_id TEXT PRIMARY KEY, day INTEGER NOT NULL, state TEXT NOT NULL);
      CREATE TABLE health_history (account_id TEXT NOT NULL, day INTEGER NOT NULL, score REAL, status TEXT, tier TEXT, playbook TEXT NOT NULL, PRIMARY KEY (account_id, day));
      CREATE TABLE trigger_activation (trigger TEXT PRIMARY KEY, day INTEGER NOT NULL);
      CREATE TABLE runs (day INTEGER NOT NULL, playbook TEXT NOT NULL, version INTEGER, accounts INTEGER NOT NULL, rejected INTEGER NOT NULL, PRIMARY KEY (day, playbook));
    `);
    const nudged = { active: true, entries: [20513], entryCount: 1, lastEntered: 20513, renewalKey: null, step: null, nextStepDay: null };
    const state = { day: 20513, playbook: "old", tier: null, tierSince: null, pending: null, health: { score: 10, status: "red", model: "default" }, scores: [], milestonesDone: {}, triggers: { nudge: nudged }, sent: [[20513, "email"]], before: { day: 20512, playbook: "old", tier: null, tierSince: null, pending: null, health: null, scores: [], milestonesDone: {}, triggers: {}, sent: [] } };
    db.prepare("INSERT INTO account_state VALUES (?, ?, ?)").run("A1", 20513, JSON.stringify(state));
    db.prepare("INSERT INTO trigger_activation VALUES (?, ?)").run("nudge", 20513);
    db.prepare("INSERT INTO runs VALUES (?, ?, ?, ?, ?)").run(20513, "old", 1, 1, 0);
    db.close();
    // The same day again starts from the state before it: the nudge of that day is decided again, not twice.
    expect((await p.run("2026-03-01")).decisions.get("A1")!.actions).toMatchObject([{ trigger: "nudge", status: "planned" }]);
    expect((await p.run("2026-03-05")).decisions.get("A1")!.actions).toEqual([]);
    const upgraded = new Database(p.path(".touchline/state.db"), { readonly: true });
    expect(upgraded.prepare("SELECT format FROM touchline").get()).toEqual({ format: 2 });
    upgraded.close();
  }, 60_000);
});

describe("state files of format 1 (history details with their names in each row)", () => {
  it("are read as they are, brought to format 2 by the next run, and explain --since reads both kinds of rows", async () => {
    const playbook = 'playbook "e" {\n  account { usage: number  other: number }\n  health {\n    usage 50% = scale(usage, 0 .. 100)\n    other 50% = scale(other, 0 .. 100)\n  }\n}\n';
    const p = new TestProject({ "playbook.play": playbook, "accounts.csv": "account_id,usage,other\nE1,80,20\n" });
    expect((await p.run("2026-03-01")).code).toBe(0);
    // Format 2 writes values only, named once by their layout: a third of the bytes of format 1's rows.
    const db = new Database(p.path(".touchline/state.db"));
    const compact = db.prepare("SELECT detail FROM health_history").get() as { detail: string };
    expect(compact.detail).toMatch(/^\["[0-9a-f]{16}","default",\[80,20\],\[80,20\],\[\]\]$/);
    // The same history as format 1 wrote it.
    db.prepare("UPDATE health_history SET detail = ?").run(
      JSON.stringify({ model: "default", components: [{ name: "usage", weight: 0.5, score: 80 }, { name: "other", weight: 0.5, score: 20 }], inputs: { usage: 80, other: 20 }, actions: [] }),
    );
    db.exec("DROP TABLE history_layout; UPDATE touchline SET format = 1");
    db.close();
    p.write("accounts.csv", "account_id,usage,other\nE1,30,20\n");
    const fromFormat1 = p.cli("explain", ".", "E1", "--as-of", "2026-03-08", "--since", "7d");
    expect(fromFormat1.code, fromFormat1.stderr).toBe(0);
    expect(fromFormat1.stdout).toContain("score 50 -> 25 (-25): -25 from the data (usage 80 -> 30)");
    // A run that records nothing (an earlier day, refused) leaves the file as it was: an older Touchline can still use it.
    expect((await p.run("2026-02-01")).code).toBe(1);
    const untouched = new Database(p.path(".touchline/state.db"), { readonly: true });
    expect(untouched.prepare("SELECT format FROM touchline").get()).toEqual({ format: 1 });
    untouched.close();
    expect((await p.run("2026-03-08")).code).toBe(0);
    p.write("accounts.csv", "account_id,usage,other\nE1,30,90\n");
    const mixed = p.cli("explain", ".", "E1", "--as-of", "2026-03-09", "--since", "2026-03-01");
    expect(mixed.stdout).toContain("score 50 -> 60 (+10): +10 from the data (usage 80 -> 30, other 20 -> 90)");
    expect(p.cli("explain", ".", "E1", "--as-of", "2026-03-09", "--since", "1d").stdout).toContain("score 25 -> 60 (+35): +35 from the data (other 20 -> 90)");
    const upgraded = new Database(p.path(".touchline/state.db"), { readonly: true });
    expect(upgraded.prepare("SELECT format FROM touchline").get()).toEqual({ format: 2 });
    expect(upgraded.prepare("SELECT count(*) AS n FROM history_layout").get()).toEqual({ n: 1 });
    upgraded.close();
  }, 60_000);
});
