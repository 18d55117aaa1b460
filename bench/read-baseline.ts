import { DuckDBInstance } from "@duckdb/node-api";
import { join } from "node:path";

/**
 * The replay benchmark's baseline: only reading and parsing the history's
 * inputs (snapshots, events, outcomes) into typed DuckDB tables, the way a
 * careful analyst would load them, with nothing computed. Prints the rows read.
 */
const dir = process.argv[2]!;
const instance = await DuckDBInstance.create(":memory:");
const db = await instance.connect();
await db.run(`CREATE TABLE snapshots AS SELECT * FROM read_csv('${join(dir, "snapshots.csv")}', header = true, columns = {
  'as_of': 'DATE', 'account_id': 'VARCHAR', 'arr': 'DOUBLE', 'seats_purchased': 'INTEGER', 'seats_active': 'INTEGER', 'nps': 'INTEGER', 'tickets_90d': 'INTEGER',
  'contract_start': 'DATE', 'renewal_date': 'DATE', 'champion_left': 'BOOLEAN', 'kickoff_held': 'BOOLEAN', 'admin_email': 'VARCHAR',
  'csm_email': 'VARCHAR', 'unsubscribed': 'BOOLEAN', 'plan': 'VARCHAR', 'timezone': 'VARCHAR'})`);
await db.run(`CREATE TABLE events AS SELECT * FROM read_csv('${join(dir, "events.csv")}', header = true, columns = {'account_id': 'VARCHAR', 'timestamp': 'TIMESTAMPTZ', 'type': 'VARCHAR', 'user_id': 'VARCHAR', 'feature': 'VARCHAR'})`);
await db.run(`CREATE TABLE outcomes AS SELECT * FROM read_csv('${join(dir, "outcomes.csv")}', header = true, columns = {'account_id': 'VARCHAR', 'date': 'DATE', 'outcome': 'VARCHAR'})`);
const counts = await (await db.runAndReadAll("SELECT (SELECT count(*) FROM snapshots), (SELECT count(*) FROM events), (SELECT count(*) FROM outcomes)")).getRows();
console.log(JSON.stringify({ snapshots: Number(counts[0]![0]), events: Number(counts[0]![1]), outcomes: Number(counts[0]![2]) }));
