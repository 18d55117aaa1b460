import { spawnSync } from "node:child_process";
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Engine } from "json-rules-engine";
import { Calendars } from "../src/engine/clock.js";
import { compilePlaybook } from "../src/engine/compile.js";
import { evaluateAccount } from "../src/engine/evaluate.js";
import { epochDayOf } from "../src/expression/literals.js";
import type { Value } from "../src/expression/value.js";
import { checkText } from "../src/language/index.js";
import { ACCOUNT_HEADER, accountRow, benchPlaybook, FIELD_NAMES } from "./engine-playbook.js";
import { alternate, nowMs, summarize } from "./stats.js";

const quick = process.argv.includes("--quick");
const N = quick ? 100_000 : 1_000_000;
const root = fileURLToPath(new URL("../../", import.meta.url));
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

// ---- the playbook and the accounts, in memory -----------------------------------------
const text = benchPlaybook();
const checked = checkText("/bench/bench.play", text, () => undefined);
const errors = checked.diagnostics.filter((d) => d.severity === "error");
if (errors.length > 0) throw new Error(`bench playbook: ${errors[0]!.message}`);
const plan = compilePlaybook(checked);
// The generated rows' texts as the data engine hands them over: numbers, booleans, dates as days.
const typeOf = new Map(plan.fields.map((f) => [f.name, f.type.name]));
const engineValue = (name: string, text: string): Value => {
  if (text === "") return null;
  const type = typeOf.get(name);
  if (type === "bool") return text === "true";
  if (type === "date") return epochDayOf(text)!;
  if (type === "int" || type === "number" || type === "money" || type === "percent") return Number(text);
  return text;
};
const records: { id: string; values: Record<string, Value> }[] = [];
for (let i = 0; i < N; i++) {
  const row = accountRow(i);
  const values: Record<string, Value> = {};
  ACCOUNT_HEADER.forEach((h, k) => {
    if (h !== "account_id") values[h] = engineValue(h, String(row[k]));
  });
  records.push({ id: String(row[0]), values });
}
const day = epochDayOf("2026-03-01")!;
const clock = new Calendars(day).clock("UTC");
console.log(`Playbook: 8 health components, 3 tiers, 20 triggers, ${ACCOUNT_HEADER.length - 1} fields; ${fmt(N)} accounts in memory.\n`);

// ---- (a1) the engine ------------------------------------------------------------------
const NO_OVERRIDES: never[] = [];
let sink = 0;
function enginePass(): void {
  for (const record of records) {
    const { decision } = evaluateAccount(plan, { id: record.id, fields: record.values, clock, aggregates: [], previous: undefined, overrides: NO_OVERRIDES });
    sink += decision.actions.length + (decision.health?.score ?? 0);
  }
}

// ---- (a2) the same logic, written by hand ------------------------------------------------
const usage = FIELD_NAMES.usage;
const weights = usage.map((_, i) => (i < 4 ? 0.15 : 0.1));
const highs = usage.map((_, i) => 10 + i * 10);
// The hand-written loop produces what the engine produces: a decision with each component's
// score (both leave the per-component detail records for when output is written), the actions,
// and the state the next day's run starts from.
interface HandAction { trigger: string; step: number; kind: string; target: string; to: string | null; priority: number; status: string; reason: string }
interface HandResult {
  account: string;
  metrics: { utilization: number };
  score: number;
  status: string;
  tier: string;
  components: number[];
  actions: HandAction[];
  notices: string[];
  state: { day: number; tier: string; score: number; status: string; triggers: Record<string, { active: boolean; lastEntered: number }>; sent: [number, string][] };
}
function handEvaluate(id: string, a: Record<string, Value>): HandResult {
  const components: number[] = new Array(8);
  let score = 0;
  for (let i = 0; i < 8; i++) {
    const v = a[usage[i]!] as number;
    const s = v <= 0 ? 0 : v >= highs[i]! ? 100 : (v / highs[i]!) * 100;
    components[i] = s;
    score += weights[i]! * s;
  }
  score = Math.round(score * 100) / 100;
  let status = score >= 70 ? "green" : score >= 40 ? "yellow" : "red";
  if (a.flag_0 === true && a.flag_1 === true && status === "green") status = "yellow";
  const arr = a.arr as number;
  const tier = arr >= 100_000 ? "high_touch" : arr >= 20_000 ? "low_touch" : "tech_touch";
  const seats = a.seats as number;
  const utilization = seats === 0 ? 0 : (a.seats_active as number) / seats;
  const actions: HandAction[] = [];
  const triggerState: HandResult["state"]["triggers"] = {};
  for (let i = 0; i < 20; i++) {
    const inScope = i % 3 === 0 ? tier === "tech_touch" : i % 3 === 1 ? tier === "low_touch" || tier === "high_touch" : true;
    if (!inScope) continue;
    let condition: boolean;
    switch (i % 4) {
      case 0:
        condition = score < 30 + i * 2 && (a[`count_${i % 12}`] as number) > i;
        break;
      case 1:
        condition = a[`flag_${i % 8}`] === true && (a[`usage_${i % 8}`] as number) < 5 + i;
        break;
      case 2:
        condition = (a.renewal_date as number) - day <= 30 + i * 5 && status !== "green";
        break;
      default:
        condition = utilization < 0.2 + (i % 5) * 0.1 && a[`flag_${(i + 1) % 8}`] !== true;
    }
    if (!condition) continue;
    triggerState[`t${i}`] = { active: true, lastEntered: day };
    const email = i % 2 === 0;
    const to = email ? (a.admin_email as string) : ((a.csm_email as string | null) ?? "cs@example.com");
    actions.push({ trigger: `t${i}`, step: 0, kind: email ? "email" : "task", target: email ? "tpl" : `Call about t${i}`, to, priority: email ? i : 0, status: "planned", reason: "the condition became true" });
  }
  const emails = actions.filter((x) => x.kind === "email").sort((x, y) => y.priority - x.priority);
  for (let k = 2; k < emails.length; k++) emails[k]!.status = "capped";
  const sent: [number, string][] = [];
  for (const action of actions) if (action.status === "planned") sent.push([day, action.kind]);
  return { account: id, metrics: { utilization }, score, status, tier, components, actions, notices: [], state: { day, tier, score, status, triggers: triggerState, sent } };
}
function handPass(): void {
  for (const record of records) {
    const r = handEvaluate(record.id, record.values);
    sink += r.actions.length + r.score;
  }
}

// Both must decide the same before their speed means anything.
for (const record of records.slice(0, 2000)) {
  const { decision } = evaluateAccount(plan, { id: record.id, fields: record.values, clock, aggregates: [], previous: undefined, overrides: NO_OVERRIDES });
  const hand = handEvaluate(record.id, record.values);
  const engineActions = decision.actions.map((x) => `${x.trigger}:${x.status}`).sort().join(",");
  const handActions = hand.actions.map((x) => `${x.trigger}:${x.status}`).sort().join(",");
  if (decision.health!.score !== hand.score || decision.health!.status !== hand.status || decision.tier!.value !== hand.tier || engineActions !== handActions) {
    throw new Error(`engine and hand-written loop disagree on ${record.id}: ${JSON.stringify({ engine: [decision.health!.score, decision.health!.status, decision.tier!.value, engineActions], hand: [hand.score, hand.status, hand.tier, handActions] })}`);
  }
}

const batches = quick ? 3 : 5;
const timed = alternate(handPass, enginePass, batches);
const engineMs = summarize(timed.candidate).median;
const handMs = summarize(timed.baseline).median;

// ---- (a3) json-rules-engine, on a sample (it is too slow for the whole set) ---------------
const sampleSize = quick ? 5_000 : 20_000;
const rulesEngine = new Engine([], { allowUndefinedFacts: true });
for (let i = 0; i < 20; i++) {
  const all: unknown[] = [];
  if (i % 4 === 0) all.push({ fact: "score", operator: "lessThan", value: 30 + i * 2 }, { fact: `count_${i % 12}`, operator: "greaterThan", value: i });
  if (i % 4 === 1) all.push({ fact: `flag_${i % 8}`, operator: "equal", value: true }, { fact: `usage_${i % 8}`, operator: "lessThan", value: 5 + i });
  if (i % 4 === 2) all.push({ fact: "days_until_renewal", operator: "lessThanInclusive", value: 30 + i * 5 }, { fact: "status", operator: "notEqual", value: "green" });
  if (i % 4 === 3) all.push({ fact: "utilization", operator: "lessThan", value: 0.2 + (i % 5) * 0.1 }, { fact: `flag_${(i + 1) % 8}`, operator: "notEqual", value: true });
  if (i % 3 === 0) all.push({ fact: "tier", operator: "equal", value: "tech_touch" });
  if (i % 3 === 1) all.push({ fact: "tier", operator: "in", value: ["low_touch", "high_touch"] });
  rulesEngine.addRule({ conditions: { all } as never, event: { type: `t${i}` } });
}
for (const [tier, min] of [["high_touch", 100_000], ["low_touch", 20_000]] as const) rulesEngine.addRule({ conditions: { all: [{ fact: "arr", operator: "greaterThanInclusive", value: min }] } as never, event: { type: `tier:${tier}` } });
for (let c = 0; c < 8; c++) rulesEngine.addFact(`c${c}`, (_p: unknown, almanac: { factValue(n: string): Promise<number> }) => almanac.factValue(`usage_${c}`).then((v) => Math.max(0, Math.min(100, (v / highs[c]!) * 100))));
rulesEngine.addFact("score", async (_p: unknown, almanac: { factValue(n: string): Promise<number> }) => {
  let total = 0;
  for (let c = 0; c < 8; c++) total += weights[c]! * (await almanac.factValue(`c${c}`));
  return Math.round(total * 100) / 100;
});
rulesEngine.addFact("status", async (_p: unknown, almanac: { factValue(n: string): Promise<number> }) => {
  const score = await almanac.factValue("score");
  const flag0 = (await almanac.factValue("flag_0")) as unknown as boolean;
  const flag1 = (await almanac.factValue("flag_1")) as unknown as boolean;
  const status = score >= 70 ? "green" : score >= 40 ? "yellow" : "red";
  return flag0 && flag1 && status === "green" ? "yellow" : status;
});
rulesEngine.addFact("tier", async (_p: unknown, almanac: { factValue(n: string): Promise<number> }) => {
  const arr = await almanac.factValue("arr");
  return arr >= 100_000 ? "high_touch" : arr >= 20_000 ? "low_touch" : "tech_touch";
});
async function rulesPass(): Promise<number> {
  const start = nowMs();
  for (const record of records.slice(0, sampleSize)) {
    const facts = { ...record.values, utilization: (record.values.seats_active as number) / (record.values.seats as number), days_until_renewal: (record.values.renewal_date as number) - day };
    const { events } = await rulesEngine.run(facts);
    sink += events.length;
  }
  return nowMs() - start;
}
await rulesPass();
const rulesMs = await rulesPass();

const perSecond = (ms: number, n: number) => n / (ms / 1000);
const engineRate = perSecond(engineMs, N);
const handRate = perSecond(handMs, N);
const rulesRate = perSecond(rulesMs, sampleSize);
console.log("(a) evaluation over records in memory (health, tier, 20 triggers, actions and caps per account):");
console.log(`  Touchline engine           ${fmt(engineRate).padStart(12)} accounts/s   (median of ${batches} passes over ${fmt(N)})`);
console.log(`  hand-written TypeScript    ${fmt(handRate).padStart(12)} accounts/s`);
console.log(`  json-rules-engine          ${fmt(rulesRate).padStart(12)} accounts/s   (${fmt(sampleSize)}-account sample)`);
console.log(`  engine vs hand-written: ${(engineRate / handRate).toFixed(2)}x   engine vs json-rules-engine: ${(engineRate / rulesRate).toFixed(0)}x`);

// ---- (b) end to end from a CSV file through `touchline run` --------------------------------
const dir = mkdtempSync(join(tmpdir(), "touchline-bench-"));
const csv = join(dir, "accounts.csv");
await new Promise<void>((resolve) => {
  const out = createWriteStream(csv);
  out.write(`${ACCOUNT_HEADER.join(",")}\n`);
  let i = 0;
  const writeMore = () => {
    let ok = true;
    while (i < N && ok) ok = out.write(`${accountRow(i++).join(",")}\n`);
    if (i < N) out.once("drain", writeMore);
    else out.end(resolve);
  };
  writeMore();
});
writeFileSync(join(dir, "bench.play"), text);
writeFileSync(join(dir, "touchline.yaml"), "playbook: bench.play\naccounts: accounts.csv\n");
mkdirSync(join(dir, "out"), { recursive: true });
const endToEnd = (extra: string[]) => {
  const result = spawnSync("/usr/bin/time", ["-f", "%M %e", "node", join(root, "bin/touchline.js"), "run", dir, "--as-of", "2026-03-01", ...extra], { encoding: "utf8", maxBuffer: 1 << 30 });
  const [kb, seconds] = result.stderr.trim().split("\n").pop()!.split(" ").map(Number);
  if (result.status !== 0) throw new Error(result.stderr);
  return { peakMb: kb! / 1024, seconds: seconds!, rate: N / seconds! };
};
const noState = endToEnd(["--no-state", "--out", join(dir, "out", "decisions.jsonl")]);
const withState = endToEnd(["--state", join(dir, "state.db")]);
console.log(`\n(b) end to end from a ${fmt(N)}-row CSV through \`touchline run\` (one process, wall clock):`);
console.log(`  no state, decisions to JSONL   ${fmt(noState.rate).padStart(9)} accounts/s   peak memory ${noState.peakMb.toFixed(0)} MB   (${noState.seconds.toFixed(1)} s)`);
console.log(`  with the SQLite state file      ${fmt(withState.rate).padStart(9)} accounts/s   peak memory ${withState.peakMb.toFixed(0)} MB   (${withState.seconds.toFixed(1)} s)`);
rmSync(dir, { recursive: true, force: true });

const resultsDir = join(root, "bench/results");
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, "engine-latest.json"), `${JSON.stringify({ date: new Date().toISOString(), accounts: N, engineRate, handRate, rulesRate, engineVsHand: engineRate / handRate, engineVsRules: engineRate / rulesRate, endToEnd: { noState, withState }, checksum: sink }, null, 2)}\n`);
console.log("\nResults saved to bench/results/engine-latest.json");
