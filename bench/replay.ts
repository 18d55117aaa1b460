import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { historyBenchProject, REPLAY_FROM, REPLAY_TO } from "./data.js";
import { alternateRounds, measure } from "./process.js";
import { summarize } from "./stats.js";

/**
 * The replay benchmark: `touchline simulate` over a year of history (every
 * account evaluated on every day with the engine and state rules of a live
 * run, the backtest, the report files) against only reading and parsing the
 * same inputs into DuckDB, both as processes under /usr/bin/time for wall
 * time and peak memory, alternated, over several rounds.
 *
 *   node dist/bench/replay.js           10,000 accounts x 365 days, 20M events
 *   node dist/bench/replay.js --quick   1,000 accounts x 365 days, 1M events
 */
const root = fileURLToPath(new URL("../../", import.meta.url));
const quick = process.argv.includes("--quick");
const rounds = Number(process.argv.find((a) => a.startsWith("--rounds="))?.slice(9) ?? 3);
const accounts = quick ? 1_000 : 10_000;
const events = quick ? 1_000_000 : 20_000_000;
const dataRoot = process.env.TOUCHLINE_BENCH_DATA ?? join(tmpdir(), "touchline-bench-data");


const fmt = (n: number) => n.toLocaleString("en-US");
const dir = join(dataRoot, `history-${accounts}-${events}`);
process.stdout.write(`Replay: generating ${fmt(accounts)} accounts with a year of monthly snapshots and ${fmt(events)} events... `);
historyBenchProject(dir, accounts, events);
console.log("done");
const out = mkdtempSync(join(tmpdir(), "touchline-replay-bench-"));
const simulate = () => measure(["node", join(root, "bin/touchline.js"), "simulate", dir, "--from", REPLAY_FROM, "--to", REPLAY_TO, "--out", out]);
const read = () => measure(["node", join(root, "dist/bench/read-baseline.js"), dir]);
const { ours, theirs } = alternateRounds(rounds, simulate, read);
rmSync(out, { recursive: true, force: true });
const accountDays = Number((/([\d,]+) account-days/.exec(ours[0]!.output)?.[1] ?? "0").replace(/,/g, ""));
const read0 = JSON.parse(theirs[0]!.output.trim()) as { events: number };
const s = summarize(ours.map((m) => m.seconds));
const r = summarize(theirs.map((m) => m.seconds));
const peak = Math.max(...ours.map((m) => m.peakMb));
const ratio = s.median / r.median;
console.log(`  ${fmt(accounts)} accounts, ${fmt(accountDays)} account-days, ${fmt(read0.events)} events; ${rounds} alternated rounds (wall seconds, min / median / max; peak memory)`);
console.log(`    touchline simulate   ${s.min.toFixed(2)} / ${s.median.toFixed(2)} / ${s.max.toFixed(2)} s   peak ${peak.toFixed(0)} MB   ${fmt(Math.round(accountDays / s.median))} account-days/s, ${fmt(Math.round(read0.events / s.median))} events/s`);
console.log(`    read and parse only  ${r.min.toFixed(2)} / ${r.median.toFixed(2)} / ${r.max.toFixed(2)} s   peak ${Math.max(...theirs.map((m) => m.peakMb)).toFixed(0)} MB`);
console.log(`    ratio ${ratio.toFixed(2)}x (target within 3x), peak memory ${peak < 2048 ? "under" : "OVER"} 2 GB`);
mkdirSync(join(root, "bench/results"), { recursive: true });
writeFileSync(join(root, "bench/results/replay-latest.json"), `${JSON.stringify({ date: new Date().toISOString(), rounds, accounts, accountDays, events: read0.events, simulate: s, read: r, ratio, peakMb: peak }, null, 2)}\n`, "utf8");
console.log("\nResults saved to bench/results/replay-latest.json");
