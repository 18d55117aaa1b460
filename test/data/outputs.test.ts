import { readdirSync, readFileSync } from "node:fs";
import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { TestProject } from "../helpers/project.js";

describe("decision files", () => {
  it("Parquet holds the same decisions as JSON Lines, and nothing temporary is left behind", async () => {
    const rows = Array.from({ length: 500 }, (_, i) => `A${i},${i % 12}`);
    const project = new TestProject({ "playbook.play": 'playbook "p" {\n  account { n: int }\n  metric double = n * 2\n  health { usage 100% = scale(n, 0 .. 10) }\n}\n', "accounts.csv": `account_id,n\n${rows.join("\n")}\n` });
    const result = project.cli("run", ".", "--as-of", "2026-03-01", "--no-state", "--out", "d.parquet", "--out", "d.jsonl");
    expect(result.code, result.stderr).toBe(0);
    const lines = readFileSync(project.path("d.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { account: string; health: { score: number; status: string }; metrics: { double: number } });
    const connection = await (await DuckDBInstance.create(":memory:")).connect();
    const parquet = (await connection.runAndReadAll(`SELECT account, health.score::DOUBLE AS score, health.status AS status, metrics.double::DOUBLE AS double FROM read_parquet('${project.path("d.parquet")}')`)).getRowObjectsJS();
    expect(parquet).toEqual(lines.map((l) => ({ account: l.account, score: l.health.score, status: l.health.status, double: l.metrics.double })));
    expect(readdirSync(project.dir).filter((f) => f.includes("partial") || f.endsWith(".parquet.jsonl"))).toEqual([]);
    connection.closeSync();
  });

  it("CSV has a column per health component and per metric, after the fixed ones", () => {
    const project = new TestProject({ "playbook.play": 'playbook "p" {\n  account { n: int }\n  metric double = n * 2\n  health { usage 100% = scale(n, 0 .. 10) }\n}\n', "accounts.csv": "account_id,n\nA1,3\nA2,12\n" });
    const result = project.cli("run", ".", "--as-of", "2026-03-01", "--no-state", "--out", "d.csv");
    expect(result.code, result.stderr).toBe(0);
    const [header, ...rows] = readFileSync(project.path("d.csv"), "utf8").trim().split("\n").map((line) => line.split(","));
    expect(header!.slice(-2)).toEqual(["health_usage", "metric_double"]);
    expect(rows.map((row) => [row[0], ...row.slice(-2)])).toEqual([["A1", "30", "6"], ["A2", "100", "24"]]);
  });
});
