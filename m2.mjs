import { DuckDBInstance } from "@duckdb/node-api";
import { readFileSync } from "node:fs";
const i = await DuckDBInstance.create(":memory:", { threads: "2", memory_limit: "1GB", temp_directory: "/tmp/m2tmp", preserve_insertion_order: "false" }); const c = await i.connect();
await c.run(`CREATE TYPE sim_account_id AS ENUM (SELECT DISTINCT account_id FROM read_csv('/tmp/touchline-bench-data/history-10000-20000000/snapshots.csv') ORDER BY 1)`);
const params = JSON.parse(readFileSync("/tmp/pass.json", "utf8"));
let full = readFileSync("/tmp/pass.sql", "utf8");
for (let k = params.length; k >= 1; k--) full = full.replaceAll("$" + k, params[k - 1] === "\u0000" ? "chr(0)" : "'" + params[k - 1] + "'");
const body = full.replace("CREATE OR REPLACE TEMP TABLE ev_daily_all AS", "");
const inner = body.slice(body.indexOf("FROM (SELECT e.*, CASE WHEN e.__idx IS NULL") + 5, body.lastIndexOf("GROUP BY")).trim().replace(/ e$/, "");
const aggs = `count(*) AS n, count(*) FILTER (WHERE e.problem IS NOT NULL) AS bad, count(*) FILTER (WHERE e.undeclared AND e.problem IS NULL) AS und, count(*) FILTER (WHERE e.ok AND e.type = 'login') AS p0, count(*) FILTER (WHERE e.ok AND e.type = 'key_feature') AS p2, count(*) FILTER (WHERE e.ok AND e.type = 'login') AS p3`;
const k = `CAST(e.__idx AS INTEGER) * 1000 + (e.__day - 20087)`;
const variants = {
  set1_3col: `CREATE OR REPLACE TEMP TABLE x AS SELECT e.__idx, e.__id, e.__day, ${aggs} FROM ${inner} e GROUP BY e.__idx, e.__id, e.__day`,
  set1_key: `CREATE OR REPLACE TEMP TABLE x AS SELECT ${k} AS k, ${aggs} FROM ${inner} e GROUP BY k`,
  sets_key: `CREATE OR REPLACE TEMP TABLE x AS SELECT ${k} AS k, e.v1, GROUPING(e.v1) AS g, ${aggs} FROM ${inner} e GROUP BY GROUPING SETS ((k), (k, e.v1))`,
  sets_key_h: `CREATE OR REPLACE TEMP TABLE x AS SELECT ${k} AS k, any_value(e.v1) AS v1, GROUPING(e.h) AS g, ${aggs} FROM (SELECT *, hash(v1) AS h FROM ${inner}) e GROUP BY GROUPING SETS ((k), (k, e.h))`,
  one_key: `CREATE OR REPLACE TEMP TABLE x AS SELECT ${k} AS k, e.v1, ${aggs} FROM ${inner} e GROUP BY k, e.v1`,
  one_3col: `CREATE OR REPLACE TEMP TABLE x AS SELECT e.__idx, e.__id, e.__day, e.v1, ${aggs} FROM ${inner} e GROUP BY e.__idx, e.__id, e.__day, e.v1`,
  one_key_id: `CREATE OR REPLACE TEMP TABLE x AS SELECT ${k} AS k, e.__id, e.v1, ${aggs} FROM ${inner} e GROUP BY k, e.__id, e.v1`,
  distinct_only: `CREATE OR REPLACE TEMP TABLE x AS SELECT DISTINCT ${k} AS k, e.v1 FROM ${inner} e WHERE e.v1 IS NOT NULL`,
};
const only = process.argv[2];
for (let r = 0; r < 2; r++) for (const [k, q] of Object.entries(variants)) { if (only && !only.split(",").includes(k)) continue; const t = Date.now(); await c.run(q); console.log(k, Date.now() - t, "ms"); }
