import { mkdirSync, writeFileSync } from "node:fs";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { TestProject } from "../helpers/project.js";

const PLAYBOOK = `playbook "inputs" {
  account { seats: int  arr: money  usage: percent  timezone: string = "UTC" }
  events { session { minutes: number  channel: string? } }
  metric minutes_7d = sum("session", "minutes", 7d)
  metric longest = max_of("session", "minutes", 30d) ?? 0
  health { usage 100% = scale(usage, 0 .. 1) }
}
`;
const HEADER = "account_id,seats,arr,usage";

function project(files: Record<string, string>, config: Record<string, unknown> = {}): TestProject {
  return new TestProject({ "playbook.play": PLAYBOOK, ...files }, config);
}

describe("numbers are finite, wherever they come from", () => {
  it("CSV account fields: 1e309, 9e999 and a 20-digit whole number are rejected with file, line and field", async () => {
    // Three bad rows of four: more than half, so a limit is set (a run without one stops at that share).
    const p = project({ "accounts.csv": `${HEADER}\nA1,3,100,0.5\nA2,1e309,100,0.5\nA3,3,9e999,0.5\nA4,123456789012345678901,100,0.5\n` }, { max_rejects: "100%" });
    const run = (await p.run("2026-03-01", "--no-state"));
    expect(run.code).toBe(0);
    expect([...run.decisions.keys()]).toEqual(["A1"]);
    expect(run.stdout).toContain('accounts.csv:3: field `seats`: expected a whole number, got "1e309": too large to be a number');
    expect(run.stdout).toContain('accounts.csv:4: field `arr`: expected an amount, got "9e999": too large to be a number');
    expect(run.stdout).toContain('accounts.csv:5: field `seats`: expected a whole number, got "123456789012345678901": too large to be a number');
  });

  it("JSON Lines and JSON, with numbers written as JSON numbers", async () => {
    for (const [file, text] of [
      ["accounts.jsonl", '{"account_id":"A1","seats":3,"arr":100,"usage":0.5}\n{"account_id":"A2","seats":3,"arr":1e309,"usage":0.5}\n'],
      ["accounts.json", '[{"account_id":"A1","seats":3,"arr":100,"usage":0.5},{"account_id":"A2","seats":3,"arr":1e309,"usage":0.5}]'],
    ] as const) {
      const p = project({ [file]: text });
      const run = (await p.run("2026-03-01", "--no-state"));
      expect([...run.decisions.keys()], file).toEqual(["A1"]);
      expect(run.stdout, file).toContain(`${file}:2: field \`arr\`: expected an amount, got "1e309": too large to be a number`);
    }
  });

  it("SQLite tables, where a REAL can hold infinity", async () => {
    const p = project({ "accounts.csv": "" }, { accounts: { file: "crm.db", table: "accounts" } });
    const db = new Database(p.path("crm.db"));
    db.exec("CREATE TABLE accounts (account_id TEXT, seats INTEGER, arr REAL, usage REAL)");
    db.prepare("INSERT INTO accounts VALUES (?, ?, ?, ?)").run("A1", 3, 100, 0.5);
    db.prepare("INSERT INTO accounts VALUES (?, ?, ?, ?)").run("A2", 3, Number.POSITIVE_INFINITY, 0.5);
    db.close();
    const run = (await p.run("2026-03-01", "--no-state"));
    expect([...run.decisions.keys()]).toEqual(["A1"]);
    expect(run.stdout).toMatch(/crm\.db:2: field `arr`: expected an amount, got "Inf(inity)?"/);
  });

  it("event properties: a bad value rejects the event, with a count in the summary, never a silently missing sum", async () => {
    const p = project({
      "accounts.csv": `${HEADER}\nA1,3,100,0.5\n`,
      "events.csv": "account_id,timestamp,type,minutes,channel\nA1,2026-02-28T10:00:00Z,session,30,\nA1,2026-02-28T11:00:00Z,session,abc,phone\nA1,2026-02-28T12:00:00Z,session,1e309,\nA1,2026-02-27T12:00:00Z,session,12,email\n",
    });
    const run = (await p.run("2026-03-01", "--no-state"));
    expect(run.code).toBe(0);
    expect(run.decisions.get("A1")!.metrics).toMatchObject({ minutes_7d: 42, longest: 30 });
    expect(run.stdout).toContain("2 rows rejected");
    expect(run.stdout).toContain('events.csv:3: field `minutes`: property `minutes` of a "session" event: expected a number, got "abc"');
    expect(run.stdout).toContain('events.csv:4: field `minutes`: property `minutes` of a "session" event: expected a number, got "1e309": too large to be a number');
  });
});

describe("CSV rows must have as many values as the header", () => {
  it("rejects a row with more values, and a row with fewer, naming the physical line even after a quoted line break", async () => {
    const p = project({ "accounts.csv": `${HEADER},note\nA1,3,100,0.5,"two\nlines"\nA2,3,100,0.5,x,extra\nA3,3,100\n\nA4,3,100,0.5,ok\n` });
    const run = (await p.run("2026-03-01", "--no-state"));
    expect([...run.decisions.keys()]).toEqual(["A1", "A4"]);
    expect(run.stdout).toContain("accounts.csv:4: has 6 values but the header has 5 columns");
    expect(run.stdout).toContain("accounts.csv:5: has 3 values but the header has 5 columns");
  });
});

describe("percentages follow one convention: 50% or 0.5", () => {
  it("reads both, and refuses a bare number outside 0..1 as ambiguous", async () => {
    const p = project({ "accounts.csv": `${HEADER}\nA1,3,100,50%\nA2,3,100,0.25\nA3,3,100,50\nA4,3,100,120%\nA5,3,100,half\n` });
    const run = (await p.run("2026-03-01", "--no-state"));
    expect([...run.decisions.keys()]).toEqual(["A1", "A2", "A4"]);
    expect(run.decisions.get("A1")!.health!.score).toBe(50);
    expect(run.decisions.get("A2")!.health!.score).toBe(25);
    expect(run.decisions.get("A4")!.health!.score).toBe(100);
    expect(run.stdout).toContain('accounts.csv:4: field `usage`: expected a percentage (40% or 0.4), got "50": a number without % must be a fraction from 0 to 1; write 50% for a percentage');
    expect(run.stdout).toContain('accounts.csv:6: field `usage`: expected a percentage (40% or 0.4), got "half"');
  });
});

describe("account ids are compared exactly, after trimming spaces around them", () => {
  it("keeps ids that differ in case or inner spaces apart, and treats surrounding spaces as the same id", async () => {
    const p = project({
      "accounts.csv": `${HEADER}\nAcme,3,100,0.5\nACME,3,100,0.5\nAc me,3,100,0.5\n  Acme  ,3,100,0.5\n`,
      "events.csv": "account_id,timestamp,type,minutes\n Acme ,2026-02-28T10:00:00Z,session,5\nACME,2026-02-28T10:00:00Z,session,7\n",
    });
    const run = (await p.run("2026-03-01", "--no-state"));
    expect([...run.decisions.keys()]).toEqual(["Acme", "ACME", "Ac me"]);
    expect(run.decisions.get("Acme")!.metrics.minutes_7d).toBe(5);
    expect(run.decisions.get("ACME")!.metrics.minutes_7d).toBe(7);
    expect(run.stdout).toContain("accounts.csv:5: field `account_id`: duplicate account id Acme (first on line 2)");
  });
});

describe("nothing usable is an error, and the state records nothing", () => {
  const cases: [string, Record<string, string>, Record<string, unknown>, RegExp][] = [
    ["an empty accounts file", { "accounts.csv": "" }, {}, /accounts\.csv: the accounts file is empty/],
    ["a header and no rows", { "accounts.csv": `${HEADER}\n` }, {}, /has no account rows/],
    ["a wrong id column", { "accounts.csv": `${HEADER}\nA1,3,100,0.5\n` }, { id_field: "customer_id" }, /no column `customer_id` holds the account id/],
    ["every row rejected", { "accounts.csv": `${HEADER}\nA1,x,100,0.5\nA2,y,100,0.5\n` }, {}, /none of the 2 account rows .* is usable/],
    ["more rejects than max_rejects allows", { "accounts.csv": `${HEADER}\nA1,x,100,0.5\nA2,3,100,0.5\nA3,3,100,0.5\n` }, { max_rejects: "10%" }, /Rejected input \(1 row[;)][^]*1 input row was rejected, more than max_rejects allows \(10% of 3 accounts = 0\)/],
    ["a count of max_rejects", { "accounts.csv": `${HEADER}\nA1,x,100,0.5\nA2,y,100,0.5\nA3,3,100,0.5\n` }, { max_rejects: 1 }, /2 input rows were rejected, more than max_rejects allows \(1\)/],    ["more than half the account rows rejected, with no max_rejects set", { "accounts.csv": `${HEADER}\nA1,x,100,0.5\nA2,y,100,0.5\nA3,3,100,0.5\n` }, {}, /2 of the 3 account rows of .*accounts\.csv were rejected \(66%\): more than half[^]*set max_rejects in touchline\.yaml/],
  ];
  for (const [what, files, config, message] of cases) {
    it(what, async () => {
      const p = project(files, config);
      const run = p.cli("run", ".", "--as-of", "2026-03-01", "--out", "d.jsonl");
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/internal error|\n\s+at /);
      expect(p.exists(".touchline/state.db") && p.cli("run", ".", "--as-of", "2026-02-01", "--wait", "0").stderr.includes("later day")).toBe(false);
      expect(p.exists("d.jsonl")).toBe(false);
    });
  }

  it("max_rejects lets a run through below its limit", async () => {
    const p = project({ "accounts.csv": `${HEADER}\nA1,x,100,0.5\nA2,3,100,0.5\nA3,3,100,0.5\n` }, { max_rejects: "50%" });
    expect((await p.run("2026-03-01", "--no-state")).code).toBe(0);
  });

  it("without max_rejects, half the account rows rejected still run; max_rejects: 100% runs on what is left of more", async () => {
    const half = project({ "accounts.csv": `${HEADER}\nA1,x,100,0.5\nA2,3,100,0.5\n` });
    expect((await half.run("2026-03-01", "--no-state")).decisions.size).toBe(1);
    const most = project({ "accounts.csv": `${HEADER}\nA1,x,100,0.5\nA2,y,100,0.5\nA3,3,100,0.5\n` }, { max_rejects: "100%" });
    const run = await most.run("2026-03-01", "--no-state");
    expect(run.code, run.stderr).toBe(0);
    expect([...run.decisions.keys()]).toEqual(["A3"]);
  });
});

describe("events of accounts that are not in the accounts input", () => {
  it("are counted and reported once, with examples", async () => {
    const events = ["account_id,timestamp,type,minutes", "A1,2026-02-28T10:00:00Z,session,5", ...Array.from({ length: 50 }, (_, i) => `Z${i % 7},2026-02-28T10:00:00Z,session,1`)];
    const p = project({ "accounts.csv": `${HEADER}\nA1,3,100,0.5\n`, "events.csv": `${events.join("\n")}\n` });
    const run = (await p.run("2026-03-01", "--no-state"));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("warning: 50 events of 7 accounts that are not among the valid accounts were ignored (for example Z0, Z1, Z2)");
    expect(run.stdout.match(/not among the valid accounts/g)).toHaveLength(1);
  });
});

describe("one account's data cannot stop the run for the others", () => {
  it("an account with 200,000 events in the window is aggregated like any other", async () => {
    const rows = ["account_id,timestamp,type,minutes"];
    for (let i = 0; i < 200_000; i++) rows.push(`A1,2026-02-${String(20 + (i % 9)).padStart(2, "0")}T10:00:00Z,session,${i % 1000}`);
    rows.push("A2,2026-02-28T10:00:00Z,session,3");
    const p = project({ "accounts.csv": `${HEADER}\nA1,3,100,0.5\nA2,3,100,0.5\n`, "events.csv": `${rows.join("\n")}\n` });
    const run = (await p.run("2026-03-01", "--no-state"));
    expect(run.code, run.stderr).toBe(0);
    expect(run.decisions.get("A1")!.metrics.longest).toBe(999);
    expect(run.decisions.get("A2")!.metrics.longest).toBe(3);
  }, 60_000);
});

describe("every file problem is a message with the file, never a stack trace or exit 3", () => {
  const cases: [string, (p: TestProject) => void, number, RegExp][] = [
    ["a missing accounts file", (p) => p.write("touchline.yaml", "playbook: playbook.play\naccounts: nowhere.csv\n"), 1, /nowhere\.csv: the accounts cannot be read \(no such file\)/],
    ["a folder where the accounts file should be", (p) => {
      mkdirSync(p.path("folder.csv"));
      p.write("touchline.yaml", "playbook: playbook.play\naccounts: folder.csv\n");
    }, 1, /folder\.csv: the accounts must be a regular file/],
    ["text that is not UTF-8", (p) => writeFileSync(p.path("accounts.csv"), Buffer.concat([Buffer.from(`${HEADER}\nA1,3,100,0.5\nA`), Buffer.from([0xff, 0xfe]), Buffer.from(",3,100,0.5\n")])), 0, /accounts\.csv:3: is not valid UTF-8 text/],
    ["a broken JSON file", (p) => {
      p.write("touchline.yaml", "playbook: playbook.play\naccounts: a.json\n");
      p.write("a.json", '[{"account_id": ');
    }, 1, /a\.json/],
    ["a JSON Lines file with a broken line", (p) => {
      p.write("touchline.yaml", "playbook: playbook.play\naccounts: a.jsonl\nmax_rejects: 100%\n");
      p.write("a.jsonl", '{"account_id":"A1","seats":3,"arr":1,"usage":0.5}\n{"account_id": \n[1,2]\n');
    }, 0, /a\.jsonl:2: is not valid JSON[\s\S]*a\.jsonl:3: is not a JSON object/],
    ["an SQLite file without the table", (p) => {
      new Database(p.path("crm.db")).close();
      p.write("touchline.yaml", "playbook: playbook.play\naccounts: { file: crm.db, table: accounts }\n");
    }, 1, /crm\.db: has no table `accounts`/],
    ["a file that is not an SQLite database", (p) => {
      p.write("crm.db", "hello");
      p.write("touchline.yaml", "playbook: playbook.play\naccounts: { file: crm.db, table: accounts }\n");
    }, 1, /crm\.db: the accounts cannot be opened as SQLite|crm\.db: table `accounts` cannot be read/],
  ];
  for (const [what, prepare, code, message] of cases) {
    it(what, async () => {
      const p = project({ "accounts.csv": `${HEADER}\nA1,3,100,0.5\n` });
      prepare(p);
      const run = p.cli("run", ".", "--as-of", "2026-03-01", "--no-state");
      expect(run.code, run.stderr).toBe(code);
      expect(`${run.stdout}${run.stderr}`).toMatch(message);
      expect(run.stderr).not.toMatch(/internal error|\n\s+at /);
    });
  }

  it("a reader that stops early ends the run quietly", async () => {
    const p = project({ "accounts.csv": `${HEADER}\n${Array.from({ length: 3000 }, (_, i) => `A${i},3,100,0.5`).join("\n")}\n` });
    const run = p.start("run", ".", "--as-of", "2026-03-01", "--no-state");
    run.child.stdout!.destroy();
    return run.done.then((result) => {
      expect(result.stderr).not.toMatch(/EPIPE|internal error|\n\s+at /);
    });
  });
});
