import { afterEach, describe, expect, it } from "vitest";
import { bytesOf, DataEngine, DataError, MEMORY_VARIABLE } from "../../src/data/duckdb.js";
import { TestProject } from "../helpers/project.js";

async function setting(engine: DataEngine, name: string): Promise<string> {
  return String((await engine.rows(`SELECT current_setting('${name}') AS value`))[0]!.value);
}

/** The statements `engine.run` is given from now on. */
function recordStatements(engine: DataEngine): string[] {
  const statements: string[] = [];
  const run = engine.run.bind(engine);
  engine.run = async (sql, params) => {
    statements.push(sql);
    return run(sql, params);
  };
  return statements;
}

/** Many groups, each with a list: far more than a few megabytes of hash tables. */
const LARGE_GROUPING = "CREATE OR REPLACE TEMP TABLE g AS SELECT i % 2000000 AS k, count(*) AS n, list(i) AS l FROM range(6000000) t(i) GROUP BY 1";

describe("the data engine's memory", () => {
  const saved = process.env[MEMORY_VARIABLE];
  afterEach(() => {
    if (saved === undefined) delete process.env[MEMORY_VARIABLE];
    else process.env[MEMORY_VARIABLE] = saved;
  });

  it("reads five CSV files in one query within the default limit: a run with a rejected row and four event sources reports the row (each file's reader buffer was 128 MB)", async () => {
    delete process.env[MEMORY_VARIABLE];
    const eventTypes = ["usage", "ticket", "churn", "nps"];
    const project = new TestProject(
      {
        "playbook.play": `playbook "p" {\n  account { plan: enum(basic, pro) }\n  events { ${eventTypes.map((t) => `${t} { }`).join("  ")} }\n${eventTypes.map((t) => `  metric ${t}_30d = count("${t}", 30d)\n`).join("")}}\n`,
        "accounts.csv": "account_id,plan\nA1,basic\nA2,enterprize\nA3,pro\n",
        "lookup.csv": "subscription,account\nS1,A1\nS2,A2\nS3,A3\n",
        ...Object.fromEntries(eventTypes.map((t) => [`${t}.csv`, "subscription,at\nS1,2026-02-20\nS2,2026-02-21\nS3,2026-02-22\n"])),
      },
      { events: eventTypes.map((t) => ({ file: `${t}.csv`, type: t, timestamp: "at", account_lookup: { file: "lookup.csv", column: "subscription", id: "account" } })) },
    );
    const result = await project.run("2026-03-01", "--no-state");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/2 accounts evaluated/);
    expect(result.stdout).toContain('accounts.csv:3: field `plan`: expected one of basic, pro, got "enterprize"');
    expect(result.decisions.get("A1")!.metrics).toMatchObject({ usage_30d: 1, ticket_30d: 1, churn_30d: 1, nps_30d: 1 });
  });

  it(`takes its limit from ${MEMORY_VARIABLE} over the command's own, and refuses a value that is not a size`, async () => {
    delete process.env[MEMORY_VARIABLE];
    const asked = await DataEngine.open({ memory: "300MB" });
    const defaulted = await DataEngine.open({ memory: "1GB" });
    process.env[MEMORY_VARIABLE] = " 300MB ";
    const fromEnvironment = await DataEngine.open({ memory: "1GB" });
    try {
      expect(await setting(fromEnvironment, "memory_limit")).toBe(await setting(asked, "memory_limit"));
      expect(await setting(fromEnvironment, "memory_limit")).not.toBe(await setting(defaulted, "memory_limit"));
      expect(fromEnvironment.memory).toBe("300MB");
    } finally {
      for (const engine of [asked, defaulted, fromEnvironment]) engine.close();
    }
    for (const bad of ["lots", "512", "-1GB", "0MB", "2 GB of RAM"]) {
      process.env[MEMORY_VARIABLE] = bad;
      await expect(DataEngine.open()).rejects.toThrow(new DataError(`${MEMORY_VARIABLE} must be a size such as 512MB or 2GB, got ${JSON.stringify(bad)}`));
    }
  });

  it("says in its own words that the input needs more memory, and how to give it more; DuckDB's settings are not named", async () => {
    delete process.env[MEMORY_VARIABLE];
    const engine = await DataEngine.open({ memory: "16MB", threads: 1 });
    try {
      const failure = await engine.runGrouping(LARGE_GROUPING).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(DataError);
      const message = (failure as DataError).message;
      expect(message).toMatch(/^the input needs more memory than the data engine's limit of 16MB \(.+\): set TOUCHLINE_ENGINE_MEMORY, e\.g\. TOUCHLINE_ENGINE_MEMORY=1GB, to allow more$/);
      expect(message).not.toMatch(/SET |memory_limit|threads/);
      // The engine is still usable after the failure.
      expect(await engine.rows("SELECT 1 AS one")).toEqual([{ one: 1 }]);
    } finally {
      engine.close();
    }
  });

  it("groups again on one thread when several threads run out of memory, and is back on its threads afterwards", async () => {
    delete process.env[MEMORY_VARIABLE];
    const engine = await DataEngine.open({ memory: "16MB", threads: 4 });
    const statements = recordStatements(engine);
    try {
      await expect(engine.runGrouping(LARGE_GROUPING)).rejects.toThrow(/needs more memory than the data engine's limit of 16MB/);
      expect(statements).toEqual([LARGE_GROUPING, "SET threads = 1", LARGE_GROUPING, "SET threads = 4"]);
      expect(await setting(engine, "threads")).toBe("4");
      statements.length = 0;
      expect(await engine.runGrouping("CREATE OR REPLACE TEMP TABLE small AS SELECT 1 AS k")).toBe(false);
      expect(statements).toEqual(["CREATE OR REPLACE TEMP TABLE small AS SELECT 1 AS k"]);
    } finally {
      engine.close();
    }
  });

  it("groups events within 640 MB by default and is back at 512 MB afterwards; a limit asked for or set holds throughout", async () => {
    delete process.env[MEMORY_VARIABLE];
    const grouping = "CREATE OR REPLACE TEMP TABLE small AS SELECT i % 10 AS k, count(*) AS n FROM range(1000) t(i) GROUP BY 1";
    const byDefault = await DataEngine.open();
    const asked = await DataEngine.open({ memory: "1GB" });
    process.env[MEMORY_VARIABLE] = "300MB";
    const fromEnvironment = await DataEngine.open();
    try {
      const statements = recordStatements(byDefault);
      expect(await setting(byDefault, "memory_limit")).toBe("488.2 MiB");
      expect(await byDefault.runGrouping(grouping)).toBe(false);
      expect(statements).toEqual(["SET memory_limit = '640MB'", grouping, "SET memory_limit = '512MB'"]);
      expect([byDefault.memory, byDefault.groupingMemory, await setting(byDefault, "memory_limit")]).toEqual(["512MB", "640MB", "488.2 MiB"]);
      // Also after a grouping that fails.
      await expect(byDefault.runGrouping("CREATE OR REPLACE TEMP TABLE g AS SELECT * FROM no_such_table")).rejects.toThrow(DataError);
      expect([byDefault.memory, await setting(byDefault, "memory_limit")]).toEqual(["512MB", "488.2 MiB"]);
      for (const engine of [asked, fromEnvironment]) {
        const own = recordStatements(engine);
        await engine.runGrouping(grouping);
        expect(own).toEqual([grouping]);
        expect(engine.groupingMemory).toBe(engine.memory);
      }
    } finally {
      for (const engine of [byDefault, asked, fromEnvironment]) engine.close();
    }
  });

  it("groups an input many times larger than its memory limit on one thread from the start", async () => {
    delete process.env[MEMORY_VARIABLE];
    const engine = await DataEngine.open({ memory: "16MB", threads: 4 });
    const statements = recordStatements(engine);
    const grouping = "CREATE OR REPLACE TEMP TABLE small AS SELECT i % 10 AS k, count(*) AS n FROM range(1000) t(i) GROUP BY 1";
    try {
      expect(await engine.runGrouping(grouping, [], 8 * 16e6)).toBe(false);
      expect(statements).toEqual([grouping]);
      statements.length = 0;
      expect(await engine.runGrouping(grouping, [], 8 * 16e6 + 1)).toBe(true);
      expect(statements).toEqual(["SET threads = 1", grouping, "SET threads = 4"]);
    } finally {
      engine.close();
    }
  });

  it("hands cached memory back after each grouping rather than keeping 128 MiB per thread (peaks of 1.1 GB at 20M events without)", async () => {
    const engine = await DataEngine.open();
    try {
      expect(await setting(engine, "allocator_flush_threshold")).toBe("15.2 MiB");
      expect(await setting(engine, "allocator_background_threads")).toBe("true");
    } finally {
      engine.close();
    }
  });

  it("says a full disk under its spill folder as such, and other disk errors as they are", async () => {
    const engine = await DataEngine.open();
    try {
      // DuckDB's own words for a spill file that cannot be written (the disk cannot be filled for a test).
      const translate = (message: string) => (engine as unknown as { dataError(error: Error): DataError }).dataError(new Error(message)).message;
      expect(translate(`IO Error: Could not write file "/tmp/touchline-duckdb-42/duckdb_temp_storage_DEFAULT-0.tmp": No space left on device`)).toMatch(/^the data engine's temporary folder \(.+\) ran out of disk space/);
      expect(translate(`IO Error: Could not write file "/data/out/decisions.parquet": No space left on device`)).toBe(`IO Error: Could not write file "/data/out/decisions.parquet": No space left on device`);
    } finally {
      engine.close();
    }
  });

  it("reads sizes as DuckDB does: KB, MB... in powers of 1000, KiB, MiB... of 1024", () => {
    expect([bytesOf("512MB"), bytesOf("1GiB"), bytesOf("1.5GB"), bytesOf("64kb")]).toEqual([512e6, 2 ** 30, 1.5e9, 64e3]);
    for (const bad of ["512", "1.GB", "GB", "1 GB", "-1GB", "1e3MB"]) expect(bytesOf(bad)).toBeNaN();
  });

  it("says that the temporary folder's disk is full, not that memory is short, when spilling fails for lack of room", async () => {
    delete process.env[MEMORY_VARIABLE];
    const engine = await DataEngine.open({ memory: "16MB", threads: 4 });
    const statements = recordStatements(engine);
    try {
      await engine.run("SET max_temp_directory_size = '1MB'");
      statements.length = 0;
      await expect(engine.runGrouping(LARGE_GROUPING)).rejects.toThrow(/^the data engine's temporary folder \(.+\) ran out of disk space while it spilled data to disk: free some space there, or set TMPDIR to a folder on a larger disk$/);
      // Not a memory problem: no second try on one thread.
      expect(statements).toEqual([LARGE_GROUPING]);
    } finally {
      engine.close();
    }
  });

  it("a run whose events do not fit exits 1 with that message, not DuckDB's", { timeout: 120_000 }, () => {
    const p = new TestProject({
      "playbook.play": `playbook "p" {
  account { n: int }
  events { login { user: string } }
  metric users = distinct("login", "user", 30d)
  health { usage 100% = scale(users, 0 .. 10) }
  tiers { low otherwise }
}
`,
      "accounts.csv": `account_id,n\n${Array.from({ length: 2000 }, (_, i) => `A${i},1`).join("\n")}\n`,
      "events.csv": `account_id,timestamp,type,user\n${Array.from({ length: 200_000 }, (_, i) => `A${i % 2000},2026-02-${String(1 + (i % 28)).padStart(2, "0")}T10:00:00Z,login,u${i}`).join("\n")}\n`,
    });
    process.env[MEMORY_VARIABLE] = "2MB";
    const result = p.cli("run", ".", "--as-of", "2026-03-01", "--no-state");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("the input needs more memory than the data engine's limit of 2MB");
    expect(result.stderr).not.toMatch(/SET |at .*\.js:\d+/);
    // A value that is not a size is a mistake in how the command was called: exit 2, as for other settings.
    process.env[MEMORY_VARIABLE] = "lots";
    const bad = p.cli("run", ".", "--as-of", "2026-03-01", "--no-state");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(`touchline: ${MEMORY_VARIABLE} must be a size such as 512MB or 2GB, got "lots"\n`);
  });
});
