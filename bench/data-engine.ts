import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BENCH_DAY, benchProject } from "./data.js";
import { alternateRounds, measure } from "./process.js";
import { summarize } from "./stats.js";

/**
 * The data-engine benchmark: `touchline run` end to end (read, validate,
 * aggregate events, evaluate every account, write the state) against DuckDB
 * alone reading the same files and computing the same health score, status,
 * tier and event metrics. Both run as processes under /usr/bin/time for wall
 * time and peak memory, alternated, over several rounds.
 *
 *   node dist/bench/data-engine.js            1M accounts; 100k accounts with 1M, 5M, 20M events
 *   node dist/bench/data-engine.js --quick    smaller sizes, for a check that it works
 *   node dist/bench/data-engine.js --huge     adds 100k accounts with 100M events (about 5 GB of CSV)
 */
const root = fileURLToPath(new URL("../../", import.meta.url));
const quick = process.argv.includes("--quick");
const huge = process.argv.includes("--huge");
const rounds = Number(process.argv.find((a) => a.startsWith("--rounds="))?.slice(9) ?? (quick ? 3 : 3));
const sizes: { accounts: number; events: number }[] = quick
  ? [{ accounts: 100_000, events: 0 }, { accounts: 20_000, events: 1_000_000 }]
  : [{ accounts: 1_000_000, events: 0 }, { accounts: 100_000, events: 1_000_000 }, { accounts: 100_000, events: 5_000_000 }, { accounts: 100_000, events: 20_000_000 }];
if (huge) sizes.push({ accounts: 100_000, events: 100_000_000 });
const dataRoot = process.env.TOUCHLINE_BENCH_DATA ?? join(tmpdir(), "touchline-bench-data");


/** Counts by tier and status from Touchline's summary table, to compare with the baseline's. */
function touchlineCounts(summary: string): Map<string, number> {
  const counts = new Map<string, number>();
  const lines = summary.split("\n");
  const header = lines.findIndex((l) => /^tier\s+accounts/.test(l));
  const columns = lines[header]!.trim().split(/\s+/);
  for (const line of lines.slice(header + 2)) {
    if (!/^\w+_touch\s/.test(line)) break;
    const cells = line.trim().split(/\s+/);
    columns.forEach((status, i) => {
      if (i >= 2) counts.set(`${cells[0]}/${status}`, Number(cells[i]!.replace(/,/g, "")));
    });
  }
  return counts;
}

const fmt = (n: number) => n.toLocaleString("en-US");
const results: unknown[] = [];
console.log(`Data engine: touchline run against DuckDB alone, ${rounds} alternated rounds per size (wall seconds, min / median / max; peak memory).\n`);
for (const size of sizes) {
  const dir = join(dataRoot, `${size.accounts}-${size.events}`);
  process.stdout.write(`  generating ${fmt(size.accounts)} accounts and ${fmt(size.events)} events... `);
  benchProject(dir, size.accounts, size.events);
  console.log("done");
  const touchline = () => {
    const state = join(tmpdir(), `touchline-bench-state-${process.pid}.db`);
    rmSync(state, { force: true });
    rmSync(`${state}-wal`, { force: true });
    const m = measure(["node", join(root, "bin/touchline.js"), "run", dir, "--as-of", BENCH_DAY, "--state", state]);
    rmSync(state, { force: true });
    return m;
  };
  const duckdb = () => measure(["node", join(root, "dist/bench/duckdb-baseline.js"), dir, size.events > 0 ? "events" : "accounts"]);
  const { ours, theirs } = alternateRounds(rounds, touchline, duckdb);
  // Same answers before speed means anything: counts by tier and status must agree.
  const baselineCounts = new Map((JSON.parse(theirs[0]!.output.trim()) as { counts: { tier: string; status: string; n: number }[] }).counts.map((c) => [`${c.tier}/${c.status}`, c.n]));
  const ourCounts = touchlineCounts(ours[0]!.output);
  const agree = [...baselineCounts].every(([key, n]) => ourCounts.get(key) === n) && [...ourCounts].every(([key, n]) => n === 0 || baselineCounts.get(key) === n);
  const t = summarize(ours.map((m) => m.seconds));
  const d = summarize(theirs.map((m) => m.seconds));
  const ratio = t.median / d.median;
  const peak = Math.max(...ours.map((m) => m.peakMb));
  const label = `${fmt(size.accounts)} accounts, ${fmt(size.events)} events`;
  console.log(`  ${label}`);
  console.log(`    touchline run   ${t.min.toFixed(2)} / ${t.median.toFixed(2)} / ${t.max.toFixed(2)} s   peak ${peak.toFixed(0)} MB`);
  console.log(`    DuckDB alone    ${d.min.toFixed(2)} / ${d.median.toFixed(2)} / ${d.max.toFixed(2)} s   peak ${Math.max(...theirs.map((m) => m.peakMb)).toFixed(0)} MB`);
  console.log(`    ratio ${ratio.toFixed(2)}x (target within 2x), peak memory ${peak < 1024 ? "under" : "OVER"} 1 GB, answers ${agree ? "agree" : "DIFFER"}`);
  if (!agree) console.log(`    touchline ${JSON.stringify(Object.fromEntries(ourCounts))}\n    duckdb    ${JSON.stringify(Object.fromEntries(baselineCounts))}`);
  results.push({ ...size, touchline: t, duckdb: d, ratio, peakMb: peak, duckdbPeakMb: Math.max(...theirs.map((m) => m.peakMb)), agree });
}
mkdirSync(join(root, "bench/results"), { recursive: true });
writeFileSync(join(root, "bench/results/data-engine-latest.json"), `${JSON.stringify({ date: new Date().toISOString(), rounds, results }, null, 2)}\n`);
console.log("\nResults saved to bench/results/data-engine-latest.json");
