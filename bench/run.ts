import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { checkExpression, type CheckEnvironment } from "../src/expression/check.js";
import { compileExpression } from "../src/expression/compile.js";
import { parseExpression } from "../src/expression/parse.js";
import { parseTypeText } from "../src/expression/types.js";
import { MS_PER_DAY, utcClock, type EvalScope } from "../src/expression/value.js";
import { forgetParsedExpressions, parseDsl } from "../src/language/dsl/parser.js";
import { checkText, convertPlaybook } from "../src/language/index.js";
import { generatePlaybook } from "./generate.js";
import { alternate, summarize, time, type Summary } from "./stats.js";

const quick = process.argv.includes("--quick");
const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? "unknown",
};

function report(label: string, summary: Summary, unit = "ms"): void {
  console.log(`${label.padEnd(52)} median ${summary.median.toFixed(2).padStart(8)} ${unit}   p95 ${summary.p95.toFixed(2).padStart(8)} ${unit}   (${summary.runs} runs)`);
}

// ---- 1. parse and check a 2,000-line playbook ------------------------------------------
const play = generatePlaybook(2000);
const lineCount = play.split("\n").length;
const yaml = convertPlaybook("/bench/generated.play", play, "yaml").text!;
const firstCheck = checkText("/bench/generated.play", play, () => undefined);
if (firstCheck.diagnostics.some((d) => d.severity === "error")) {
  console.error(firstCheck.diagnostics.slice(0, 5));
  throw new Error("the generated playbook should check without errors");
}
console.log(`Playbook: ${lineCount} lines of .play (${yaml.split("\n").length} lines as YAML), ${firstCheck.expressions.size} expressions, ${firstCheck.diagnostics.length} diagnostics\n`);
const runs = quick ? 10 : 40;
// A first read, as `touchline check` does: nothing kept from an earlier parse (the editor's reuse is measured by bench/lsp.ts).
const firstRead = <T>(work: () => T) => () => {
  forgetParsedExpressions();
  return work();
};
const parseOnly = summarize(time(firstRead(() => parseDsl(play)), runs));
const checkPlay = summarize(time(firstRead(() => checkText("/bench/generated.play", play, () => undefined)), runs));
const checkYaml = summarize(time(firstRead(() => checkText("/bench/generated.yaml", yaml, () => undefined)), runs));
report("parse .play (2,000 lines)", parseOnly);
report("parse + validate + check .play (2,000 lines)", checkPlay);
report("parse + validate + check YAML (same playbook)", checkYaml);
results.playbook = { lines: lineCount, parseMs: parseOnly, checkPlayMs: checkPlay, checkYamlMs: checkYaml };

// ---- 2. expression evaluation against a hand-written function ------------------------
interface Account {
  arr: number;
  seats_active: number;
  seats_purchased: number;
  logins_30d: number;
  nps: number | null;
  tickets_90d: number;
  renewal_date: number;
  champion_left: boolean;
}
interface Scope extends EvalScope {
  account: Account;
}
const TYPES: Record<keyof Account, string> = {
  arr: "money", seats_active: "int", seats_purchased: "int", logins_30d: "int", nps: "int?", tickets_90d: "int", renewal_date: "date", champion_left: "bool",
};
const HEALTH = "scale(seats_active / seats_purchased, 0.2 .. 0.9) * 0.4 + scale(logins_30d, 0 .. 200) * 0.3 + bands(nps ?? 5) { 9 .. 10: 100, 7 .. 8: 60, else: 0 } * 0.2 + scale(tickets_90d, 20 .. 0) * 0.1";
const CONDITION = "arr >= 20_000 and days_until(renewal_date) <= 90 and not champion_left and seats_active / seats_purchased < 0.5";

const env: CheckEnvironment = {
  resolve: (path) => (path.length === 1 && path[0]! in TYPES ? { type: parseTypeText(TYPES[path[0] as keyof Account])!, kind: "field" } : undefined),
  namesUnder: () => Object.keys(TYPES),
};
function compile(text: string) {
  const parsed = parseExpression(text);
  const checked = checkExpression(parsed.expr, env, (code, _s, message) => {
    throw new Error(`${code} ${message}`);
  });
  return compileExpression<Scope>(parsed.expr, checked.types, (path) => ({ property: ["account", path[0]!] }));
}
const health = compile(HEALTH);
const condition = compile(CONDITION);

const clamp = (x: number) => (x < 0 ? 0 : x > 100 ? 100 : x);
function handHealth(a: Account): number {
  const utilization = a.seats_purchased === 0 ? 0 : a.seats_active / a.seats_purchased;
  const nps = a.nps ?? 5;
  const sentiment = nps >= 9 && nps <= 10 ? 100 : nps >= 7 && nps <= 8 ? 60 : 0;
  return clamp(((utilization - 0.2) / 0.7) * 100) * 0.4 + clamp((a.logins_30d / 200) * 100) * 0.3 + sentiment * 0.2 + clamp(((a.tickets_90d - 20) / -20) * 100) * 0.1;
}
function handCondition(a: Account, asOfDay: number): boolean {
  return a.arr >= 20_000 && a.renewal_date - asOfDay <= 90 && !a.champion_left && (a.seats_purchased === 0 ? 0 : a.seats_active / a.seats_purchased) < 0.5;
}

const asOfDay = Math.floor(Date.parse("2026-03-01") / MS_PER_DAY);
let seed = 42;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const N = quick ? 100_000 : 1_000_000;
const accounts: Account[] = Array.from({ length: N }, () => ({
  arr: Math.floor(random() * 200_000),
  seats_active: Math.floor(random() * 50),
  seats_purchased: 1 + Math.floor(random() * 60),
  logins_30d: Math.floor(random() * 300),
  nps: random() < 0.3 ? null : Math.floor(random() * 11),
  tickets_90d: Math.floor(random() * 25),
  renewal_date: asOfDay + Math.floor(random() * 365),
  champion_left: random() < 0.05,
}));
const scope: Scope = { ...utcClock(asOfDay), account: accounts[0]! };

// The two must agree before their speed means anything.
for (let i = 0; i < 1000; i++) {
  scope.account = accounts[i]!;
  const compiled = health(scope) as number;
  if (Math.abs(compiled - handHealth(accounts[i]!)) > 1e-9) throw new Error(`health differs on account ${i}: ${compiled} vs ${handHealth(accounts[i]!)}`);
  if (condition(scope) !== handCondition(accounts[i]!, asOfDay)) throw new Error(`condition differs on account ${i}`);
}

let sink = 0;
function compiledPass(): void {
  for (let i = 0; i < N; i++) {
    scope.account = accounts[i]!;
    sink += health(scope) as number;
    if (condition(scope) === true) sink++;
  }
}
function handPass(): void {
  for (let i = 0; i < N; i++) {
    const a = accounts[i]!;
    sink += handHealth(a);
    if (handCondition(a, asOfDay)) sink++;
  }
}
const batches = quick ? 5 : 11;
const { baseline: handTimes, candidate: compiledTimes } = alternate(handPass, compiledPass, batches);
const compiledSummary = summarize(compiledTimes);
const handSummary = summarize(handTimes);
const perSecond = (ms: number) => (N / (ms / 1000)).toFixed(0).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
console.log(`\nExpression evaluation over ${N.toLocaleString("en")} accounts (a 4-component health score and a 4-part condition per account):`);
console.log(`  compiled Touchline expressions  ${compiledSummary.median.toFixed(1).padStart(8)} ms  (${perSecond(compiledSummary.median)} accounts/s)`);
console.log(`  hand-written TypeScript         ${handSummary.median.toFixed(1).padStart(8)} ms  (${perSecond(handSummary.median)} accounts/s)`);
const ratio = handSummary.median / compiledSummary.median;
console.log(`  ratio: compiled runs at ${ratio.toFixed(2)}x the speed of the hand-written function (spread: compiled ${compiledSummary.min.toFixed(1)}..${compiledSummary.max.toFixed(1)} ms, hand ${handSummary.min.toFixed(1)}..${handSummary.max.toFixed(1)} ms)`);
results.expressions = { accounts: N, compiledMs: compiledSummary, handWrittenMs: handSummary, speedRatio: ratio, checksum: sink };

const resultsDir = fileURLToPath(new URL("../../bench/results/", import.meta.url));
mkdirSync(resultsDir, { recursive: true });
const latest = `${resultsDir}latest.json`;
if (existsSync(latest)) {
  const previous = JSON.parse(readFileSync(latest, "utf8"));
  const prevCheck = previous.playbook?.checkPlayMs?.median;
  const prevRatio = previous.expressions?.speedRatio;
  if (prevCheck && prevRatio) console.log(`\nPrevious run (${previous.date}): check ${prevCheck.toFixed(2)} ms, expression ratio ${prevRatio.toFixed(2)}x`);
}
writeFileSync(latest, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nResults saved to bench/results/latest.json`);
