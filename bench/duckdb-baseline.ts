import { DuckDBInstance } from "@duckdb/node-api";
import { join } from "node:path";
import { BENCH_DAY } from "./data.js";

/**
 * The baseline of the data-engine benchmark: DuckDB alone reading the same
 * files and computing what the b2b-saas playbook computes per account: its
 * event metrics over each account's own local days, the health score with
 * its bands, cap and grace period, the status and the tier. Written the way
 * a careful analyst would: typed reads, one grouped pass over the events,
 * time zone bounds computed once per zone. It prints the counts by tier and
 * status, which the harness compares with Touchline's.
 */
const dir = process.argv[2]!;
const withEvents = process.argv[3] === "events";
const day = BENCH_DAY;
const instance = await DuckDBInstance.create(":memory:", { memory_limit: "512MB" });
const db = await instance.connect();
await db.run("SET TimeZone = 'UTC'");
const accounts = `read_csv('${join(dir, "accounts.csv")}', header = true, columns = {
  'account_id': 'VARCHAR', 'arr': 'DOUBLE', 'seats_purchased': 'INTEGER', 'seats_active': 'INTEGER', 'nps': 'INTEGER', 'tickets_90d': 'INTEGER',
  'contract_start': 'DATE', 'renewal_date': 'DATE', 'champion_left': 'BOOLEAN', 'kickoff_held': 'BOOLEAN', 'admin_email': 'VARCHAR',
  'csm_email': 'VARCHAR', 'unsubscribed': 'BOOLEAN', 'plan': 'VARCHAR', 'timezone': 'VARCHAR'})`;
const events = `read_csv('${join(dir, "events.csv")}', header = true, columns = {'account_id': 'VARCHAR', 'timestamp': 'TIMESTAMPTZ', 'type': 'VARCHAR', 'user_id': 'VARCHAR', 'feature': 'VARCHAR'})`;
const next = `DATE '${day}' + 1`;
const metrics = withEvents
  ? `, zones AS (SELECT tz, timezone(tz, (${next})::TIMESTAMP) AS u_end, timezone(tz, (${next} - 30)::TIMESTAMP) AS u_30, timezone(tz, (${next} - 60)::TIMESTAMP) AS u_60
        FROM (SELECT DISTINCT COALESCE(timezone, 'UTC') AS tz FROM a)),
      bounds AS (SELECT a.account_id, z.* FROM a JOIN zones z ON z.tz = COALESCE(a.timezone, 'UTC')),
      m AS (SELECT e.account_id,
          count(*) FILTER (WHERE e.type = 'login' AND e.timestamp >= b.u_30 AND e.timestamp < b.u_end) AS logins_30d,
          count(DISTINCT e.user_id) FILTER (WHERE e.type = 'login' AND e.timestamp >= b.u_30 AND e.timestamp < b.u_end) AS active_users_30d,
          count(*) FILTER (WHERE e.type = 'key_feature' AND e.timestamp >= b.u_30 AND e.timestamp < b.u_end) AS key_events_30d,
          count(*) FILTER (WHERE e.type = 'login' AND e.timestamp >= b.u_30 AND e.timestamp < b.u_end)
            - count(*) FILTER (WHERE e.type = 'login' AND e.timestamp >= b.u_60 AND e.timestamp < b.u_30) AS login_trend
        FROM ${events} e JOIN bounds b ON b.account_id = e.account_id GROUP BY e.account_id)`
  : ", m AS (SELECT NULL::VARCHAR AS account_id, 0 AS logins_30d, 0 AS active_users_30d, 0 AS key_events_30d, 0 AS login_trend WHERE false)";
const scale = (value: string, low: number, high: number) => `greatest(0, least(100, (${value} - ${low}) * ${100 / (high - low)}))`;
const started = performance.now();
await db.run(`CREATE TABLE result AS
  WITH a AS (SELECT * FROM ${accounts})${metrics},
  s AS (SELECT a.*, COALESCE(m.logins_30d, 0) AS logins_30d, COALESCE(m.active_users_30d, 0) AS active_users_30d,
      COALESCE(m.key_events_30d, 0) AS key_events_30d, COALESCE(m.login_trend, 0) AS login_trend,
      CASE WHEN seats_purchased = 0 THEN 0 ELSE seats_active / seats_purchased END AS utilization
    FROM a LEFT JOIN m ON m.account_id = a.account_id),
  c AS (SELECT *, CASE WHEN seats_purchased = 0 THEN 0 ELSE logins_30d / seats_purchased END AS logins_per_seat FROM s),
  h AS (SELECT *,
      ${scale("utilization", 0.2, 0.9)} AS adoption,
      ${scale("logins_per_seat", 0, 1)} AS engagement,
      CASE WHEN nps IS NULL THEN 50 WHEN nps BETWEEN 9 AND 10 THEN 100 WHEN nps BETWEEN 7 AND 8 THEN 60 ELSE 0 END AS sentiment,
      ${scale("tickets_90d", 20, 0)} AS support
    FROM c),
  r AS (SELECT *, round(0.4 * adoption + 0.3 * engagement + 0.2 * sentiment + 0.1 * support, 2) AS score FROM h)
  SELECT account_id, score, logins_30d, active_users_30d, key_events_30d, login_trend,
    CASE
      WHEN (CASE WHEN score >= 70 THEN 'green' WHEN score >= 40 THEN 'yellow' ELSE 'red' END) = 'green' AND champion_left THEN 'yellow'
      WHEN score < 40 AND date_diff('day', contract_start, DATE '${day}') < 30 THEN 'yellow'
      WHEN score >= 70 THEN 'green' WHEN score >= 40 THEN 'yellow' ELSE 'red' END AS status,
    CASE WHEN arr >= 100000 THEN 'high_touch' WHEN arr >= 20000 THEN 'low_touch' ELSE 'tech_touch' END AS tier
  FROM r`);
const counts = (await db.runAndReadAll("SELECT tier, status, count(*)::INTEGER AS n FROM result GROUP BY ALL ORDER BY ALL")).getRowObjectsJS();
process.stdout.write(`${JSON.stringify({ ms: performance.now() - started, counts })}\n`);
db.closeSync();
instance.closeSync();
