import Database from "better-sqlite3";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { TestProject } from "../helpers/project.js";


const PLAYBOOK = `playbook "inputs" {
  account {
    arr: money
    seats: int
    since: date
    active: bool
    plan: enum(basic, pro)
    nps: int?
    contact: email
  }
  events { login { user_id: string } }
  metric logins = count("login", 30d)
  health { usage 100% = scale(seats, 0 .. 10) }
  tiers { big when arr >= 1000  small otherwise }
  trigger t { when logins > 0  limit once  task "Say hello" owner contact }
  overrides { allow tier, health.status, health.usage }
}
`;
const HEADER = "account_id,arr,seats,since,active,plan,nps,contact";
const GOOD = ["A1,5000,4,2026-01-10,true,pro,9,a1@x.io", "A2,200,10,2025-12-01,false,basic,,a2@x.io"];

describe("reading accounts in every supported format", () => {
  const expectTwoGoodAccounts = async (project: TestProject) => {
    const result = (await project.run("2026-03-01", "--no-state"));
    expect(result.code, result.stderr).toBe(0);
    expect([...result.decisions.keys()]).toEqual(["A1", "A2"]);
    expect(result.decisions.get("A1")!.tier!.value).toBe("big");
    expect(result.decisions.get("A2")!.health!.score).toBe(100);
    return result;
  };

  it("CSV", () => expectTwoGoodAccounts(new TestProject({ "playbook.play": PLAYBOOK, "accounts.csv": `${HEADER}\n${GOOD.join("\n")}\n` })));

  const asObjects = [
    { account_id: "A1", arr: 5000, seats: 4, since: "2026-01-10", active: true, plan: "pro", nps: 9, contact: "a1@x.io" },
    { account_id: "A2", arr: 200, seats: 10, since: "2025-12-01", active: false, plan: "basic", nps: null, contact: "a2@x.io" },
  ];
  it("JSON Lines", () => expectTwoGoodAccounts(new TestProject({ "playbook.play": PLAYBOOK, "accounts.jsonl": `${asObjects.map((o) => JSON.stringify(o)).join("\n")}\n` })));
  it("JSON", () => expectTwoGoodAccounts(new TestProject({ "playbook.play": PLAYBOOK, "accounts.json": JSON.stringify(asObjects) })));

  it("a table of an SQLite file", async () => {
    const project = new TestProject({ "playbook.play": PLAYBOOK, "accounts.csv": "" }, { accounts: { file: "crm.db", table: "accounts" } });
    const db = new Database(join(project.dir, "crm.db"));
    db.exec("CREATE TABLE accounts (account_id TEXT, arr REAL, seats INTEGER, since TEXT, active TEXT, plan TEXT, nps INTEGER, contact TEXT)");
    const insert = db.prepare("INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    (await insert.run("A1", 5000, 4, "2026-01-10", "true", "pro", 9, "a1@x.io"));
    (await insert.run("A2", 200, 10, "2025-12-01", "false", "basic", null, "a2@x.io"));
    db.close();
    await expectTwoGoodAccounts(project);
  });

  it("events from JSON Lines feed the time-window metrics", async () => {
    const events = [
      { account_id: "A1", timestamp: "2026-02-20T10:00:00Z", type: "login", user_id: "u1" },
      { account_id: "A1", timestamp: "2026-02-21T10:00:00Z", type: "login", user_id: "u2" },
    ];
    const project = new TestProject({ "playbook.play": PLAYBOOK, "accounts.csv": `${HEADER}\n${GOOD.join("\n")}\n`, "events.jsonl": events.map((e) => JSON.stringify(e)).join("\n") });
    const result = (await project.run("2026-03-01", "--no-state"));
    expect(result.decisions.get("A1")!.metrics.logins).toBe(2);
    expect(result.decisions.get("A1")!.actions).toMatchObject([{ trigger: "t", kind: "task", to: "a1@x.io", status: "planned" }]);
  });
});

/** The two good accounts, with these events. */
const withEvents = (eventsCsv: string) => new TestProject({ "playbook.play": PLAYBOOK, "accounts.csv": `${HEADER}\n${GOOD.join("\n")}\n`, "events.csv": eventsCsv });

describe("bad input: a clear error for each bad row, nothing valid lost", () => {
  const bad = [
    "B1,lots,4,2026-01-10,true,pro,9,b1@x.io", // wrong type
    "B2,100,,2026-01-10,true,pro,9,b2@x.io", // missing required field
    "B3,100,4,2026-02-30,true,pro,9,b3@x.io", // impossible date
    "B4,100,4,10/01/2026,true,pro,9,b4@x.io", // unparseable date
    "B5,100,4,2026-01-10,maybe,gold,9,not-an-email", // several fields at once
    "A1,100,4,2026-01-10,true,pro,9,dup@x.io", // duplicate id
    "B6,100,4", // truncated line
  ];
  // Seven bad rows of nine: a limit is set, as a run without one stops when more than half are rejected.
  const project = new TestProject({ "playbook.play": PLAYBOOK, "accounts.csv": `${HEADER},region\n${[GOOD[0], ...bad, GOOD[1]].map((r, i) => (i === 7 ? r : `${r},emea`)).join("\n")}\n` }, { max_rejects: "100%" });
  let result: Awaited<ReturnType<TestProject["run"]>>;

  beforeAll(async () => {
    result = (await project.run("2026-03-01", "--no-state"));
  });

  it("keeps every valid row", async () => {
    expect(result.code).toBe(0);
    expect([...result.decisions.keys()]).toEqual(["A1", "A2"]);
  });

  it("names file, line and field for each problem", async () => {
    const out = result.stdout;
    expect(out).toContain("7 rows rejected");
    expect(out).toContain("accounts.csv:3: field `arr`: expected an amount, got \"lots\"");
    expect(out).toContain("accounts.csv:4: field `seats`: is missing required field `seats`");
    expect(out).toContain("accounts.csv:5: field `since`: expected a date as YYYY-MM-DD, got \"2026-02-30\" (no such calendar date)");
    expect(out).toContain("accounts.csv:6: field `since`: expected a date as YYYY-MM-DD, got \"10/01/2026\"");
    expect(out).toContain("accounts.csv:7: field `active`: expected true or false, got \"maybe\"");
    expect(out).toContain("accounts.csv:7: field `plan`: expected one of basic, pro, got \"gold\"");
    expect(out).toContain("accounts.csv:7: field `contact`: expected an email address, got \"not-an-email\"");
    expect(out).toContain("accounts.csv:8: field `account_id`: duplicate account id A1 (first on line 2); this row is skipped");
    expect(out).toContain("accounts.csv:9: has 3 values but the header has 9 columns");
    expect(out).toContain("warning: column `region` of");
  });

  it("explain says what it left out of this account, not how the file is laid out", async () => {
    const explain = await project.main("explain", project.dir, "A1", "--as-of", "2026-03-01");
    expect(explain.code, explain.stderr).toBe(0);
    expect(explain.stdout).not.toContain("column `region`");
    // A1's second row is the one rejected for it; the other accounts' bad rows are not read.
    expect(explain.stdout).toContain("accounts.csv:8: field `account_id`: duplicate account id A1 (first on line 2); this row is skipped");
    expect(explain.stdout).not.toContain("accounts.csv:3:");
  });

  it("writes each rejected row, with its problems, to the rejects file", async () => {
    const rejects = project.read(".touchline/rejects.jsonl").trim().split("\n").map((l) => JSON.parse(l));
    expect(rejects.map((r) => r.line)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(rejects[0]).toMatchObject({ problems: [{ field: "arr" }], row: { account_id: "B1", arr: "lots" } });
  });

  it("stops at the first bad row with --strict, writing nothing", async () => {
    // An extra column (region) is no bad row: the first bad row stops it.
    const strict = project.cli("run", ".", "--as-of", "2026-03-01", "--strict", "--out", "strict.jsonl");
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain("accounts.csv:3: field `arr`: expected an amount, got \"lots\" (--strict stops at the first bad row)");
    expect(project.exists("strict.jsonl") ? project.read("strict.jsonl") : "").toBe("");
    // A column that looks like an optional field with no column of its own (nps read as missing) stops it first.
    project.write("accounts.csv", `${HEADER.replace(",nps,", ",npss,")}\n${GOOD[0]}\n`);
    const misspelt = project.cli("run", ".", "--as-of", "2026-03-01", "--strict");
    expect(misspelt.code).toBe(1);
    expect(misspelt.stderr).toMatch(/column `npss` of \S*accounts\.csv /);
    expect(misspelt.stderr).toContain("accounts.csv is not in the playbook's data contract, and its field `nps` has no column: is it misspelt? Name it in touchline.yaml (columns: { nps: npss }) or rename the column (--strict stops at a column that looks like a misspelt field, which would read as missing)");
    const lenient = project.cli("run", ".", "--as-of", "2026-03-01", "--no-state");
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toContain("accounts.csv is not in the playbook's data contract and is ignored (did you mean `nps`? it has no column, so it reads as missing)");
    project.write("accounts.csv", `${HEADER}\n${GOOD[0]}\nB1,lots,4,2026-01-10,true,pro,9,b1@x.io\n`);
    const badRow = project.cli("run", ".", "--as-of", "2026-03-01", "--strict");
    expect(badRow.code).toBe(1);
    expect(badRow.stderr).toContain("accounts.csv:3: field `arr`: expected an amount, got \"lots\" (--strict stops at the first bad row)");
    expect(strict.stderr).not.toMatch(/\n\s+at /);
  });

  it("rejects a bad events row and goes on", async () => {
    const events = withEvents("account_id,timestamp,type,user_id\nA1,2026-02-20T10:00:00Z,login,u1\nA1,yesterday,login,u1\n,2026-02-20T10:00:00Z,login,u1\nA1,2026-02-20T10:00:00Z,logout,u1\nA2,2026-02-22T10:00:00Z\nA2,not-a-time,login,u2\n");
    const run = (await events.run("2026-03-01", "--no-state"));
    expect(run.code).toBe(0);
    expect(run.decisions.get("A1")!.metrics.logins).toBe(1);
    expect(run.stdout).toContain("events.csv:3: field `timestamp`: expected a date and time (ISO 8601), got \"yesterday\"");
    expect(run.stdout).toContain("events.csv:4: field `account_id`: has no account id");
    expect(run.stdout).toContain("warning: 1 events of types the playbook's `events` does not declare were ignored (logout)");
    // explain says what it left out of the account's figures, before them
    const explain = await events.main("explain", events.dir, "A1", "--as-of", "2026-03-01");
    expect(explain.code, explain.stderr).toBe(0);
    const [data, figures] = explain.stdout.split("Health:");
    expect(data).toContain("warning: 1 events of types the playbook's `events` does not declare were ignored (logout)");
    // A2's row with a bad field is not A1's; a line that cannot be read at all could be anyone's, and is listed as such.
    expect(data).toContain("Rejected input (2 rows, not counted here):");
    expect(data).toContain("events.csv:3: field `timestamp`");
    expect(data).toContain("events.csv:6: has 2 values but the header has 4 columns");
    expect(data).not.toContain("events.csv:4");
    expect(data).not.toContain("events.csv:7");
    expect(figures).toContain("logins=1");
  });

  it("says an events line it cannot split into fields, even when every other event is good", async () => {
    const events = withEvents("account_id,timestamp,type,user_id\nA1,2026-02-20T10:00:00Z,login,u1\nA1,2026-02-21T10:00:00Z\n");
    const run = await events.run("2026-03-01", "--no-state");
    expect(run.code).toBe(0);
    expect(run.decisions.get("A1")!.metrics.logins).toBe(1);
    expect(run.stdout).toContain("events.csv:3: has 2 values but the header has 4 columns");
    expect(run.stdout).toContain("2 accounts evaluated, 1 row rejected.");
    expect(run.stdout).toContain("Rejected input (1 row;");
    const strict = events.cli("run", ".", "--as-of", "2026-03-01", "--no-state", "--strict");
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain("events.csv:3: has 2 values");
  });

  it("reads an events file with a quote error near its top line by line, as it reads a clean one", async () => {
    // DuckDB's sniffer refuses such a file; it is then read with the sniffer off, and each bad line said.
    const events = withEvents('account_id,timestamp,type,user_id\nA1,2026-02-20T10:00:00Z,login,u1,extra\nA1\n"A1,2026-02-21T10:00:00Z,login,u2\n');
    const run = await events.run("2026-03-01", "--no-state");
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("events.csv:2: has 5 values but the header has 4 columns");
    expect(run.stdout).toContain("events.csv:3: has 1 value but the header has 4 columns");
    expect(run.decisions.get("A1")!.metrics.logins).toBe(0);
  });

  it("reports a playbook with errors instead of running it, with exit code 1", async () => {
    const broken = new TestProject({ "playbook.play": PLAYBOOK.replace("scale(seats", "scale(seat"), "accounts.csv": `${HEADER}\n` });
    const run = broken.cli("run", ".", "--as-of", "2026-03-01");
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("TL2003 unknown name `seat`; did you mean `seats`?");
  });

  it("says what is wrong with the project folder or the date named on the command line, with exit code 2, as check does", async () => {
    const noConfig = new TestProject({ "playbook.play": PLAYBOOK });
    expect(noConfig.cli("run", "missing-folder", "--as-of", "2026-03-01")).toMatchObject({ code: 2 });
    expect(noConfig.cli("run", "missing-folder", "--as-of", "2026-03-01").stderr).toContain("no touchline.yaml in missing-folder");
    expect(noConfig.cli("explain", "missing-folder", "A1", "--as-of", "2026-03-01").code).toBe(2);
    const badDate = noConfig.cli("run", ".", "--as-of", "March 1st");
    expect(badDate.code).toBe(2);
    expect(badDate.stderr).toContain("--as-of must be a calendar date as YYYY-MM-DD");
    expect(noConfig.cli("explain", ".", "A1", "--as-of", "2026-02-30").code).toBe(2);
    expect(noConfig.cli("run", ".").code).toBe(2);
  });
});

describe("manual overrides", () => {
  it("applies overrides until they expire, then drops them with a notice; refuses ones the playbook does not allow", async () => {
    const project = new TestProject({
      "playbook.play": PLAYBOOK,
      "accounts.csv": `${HEADER}\n${GOOD.join("\n")}\n`,
      "overrides.csv": [
        "account_id,target,value,reason,owner,expires",
        "A2,tier,big,Strategic logo,dana@x.io,2026-03-31",
        "A1,health.usage,10,Usage data broken this week,li@x.io,2026-02-15",
        "A1,health.status,red,Escalation open,li@x.io,2026-03-10",
        "A2,health.score,99,no,li@x.io,2026-03-10",
        "A2,tier,small,,li@x.io,2026-03-10",
      ].join("\n"),
    });
    const result = (await project.run("2026-03-01", "--no-state"));
    expect(result.decisions.get("A2")!.tier).toMatchObject({ value: "big", computed: "small" });
    expect(result.decisions.get("A1")!.health).toMatchObject({ score: 40, status: "red" });
    expect(result.decisions.get("A1")!.notices).toEqual(["the override of health.usage by li@x.io expired on 2026-02-15 and is no longer applied"]);
    expect(result.stdout).toContain("overrides.csv:5: field `target`: `health.score` may not be overridden by hand");
    expect(result.stdout).toContain("overrides.csv:6: field `reason`: an override needs a reason, an owner and an expiry date; reason missing");
  });
});
