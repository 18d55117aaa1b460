import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { isoDateOf } from "../src/expression/literals.js";

/**
 * Generates the saas-b2b example's data: a B2B SaaS company's accounts as of
 * 2026-03-01 and the year before it. Seeded, so every machine gets the same
 * files byte for byte.
 *
 * The year is one story told four ways: monthly snapshots of every account,
 * usage events, monthly revenue and outcomes (churn, renewals, expansion,
 * contraction). Accounts that churn really drift first: in the weeks before
 * they leave, usage, seats in use and NPS fall and tickets rise. Some churn
 * without warning (a budget cut, an acquisition), some healthy accounts dip
 * and recover, and a few churned accounts come back: what a backtest must
 * cope with. `accounts.csv` is the last snapshot of the accounts still
 * customers on 2026-03-01; `events.csv` holds the whole year of their usage;
 * `history/past-events.csv` that of the accounts that left.
 */
const folder = fileURLToPath(new URL("../../examples/saas-b2b/data/", import.meta.url));
const LIVE = Number(process.env.TOUCHLINE_EXAMPLE_ACCOUNTS ?? 2000);
const CHURNED = Math.round(LIVE * 0.14);
const DAY = 86_400_000;
const START = Date.UTC(2025, 2, 1) / DAY; // 2025-03-01: the history begins
const END = Date.UTC(2026, 2, 1) / DAY; // 2026-03-01: today, the day `run` evaluates

let seed = 20260301;
function random(): number {
  // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
const clamp = (value: number, low: number, high: number) => Math.max(low, Math.min(high, value));

const ZONES = ["UTC", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "Asia/Tokyo"];
const FEATURES = ["reports", "integrations", "automations", "dashboards"];
const PLANS = ["starter", "growth", "enterprise"] as const;
type Plan = (typeof PLANS)[number];

/** Month starts (epoch days) from START to END inclusive. */
const MONTH_STARTS: number[] = [];
for (let month = 0; ; month++) {
  const day = Date.UTC(2025, 2 + month, 1) / DAY;
  if (day > END) break;
  MONTH_STARTS.push(day);
}
const monthText = (day: number) => isoDateOf(day).slice(0, 7);

interface Story {
  id: string;
  plan: Plan;
  arr: number;
  baseEngagement: number;
  zone: string;
  contractStart: number;
  /** the day it stops being a customer (exclusive), if it does within the year */
  churn: number | undefined;
  /** a churned account that signs again on this day */
  returns: number | undefined;
  /** usage falls over these days before churn (0: churns without warning) */
  drift: number;
  /** a healthy account's temporary dip */
  dip: { from: number; to: number } | undefined;
  /** goes quiet in the last weeks: tomorrow's churn risk */
  quietFrom: number;
  csm: string;
  unsubscribed: boolean;
  championLeft: number | undefined;
  /** ARR from each day on, changed at renewals */
  arrChanges: { day: number; arr: number; outcome: "renewed" | "expanded" | "contracted" }[];
}

function story(index: number, churns: boolean): Story {
  const id = `ACME-${String(index).padStart(5, "0")}`;
  const plan: Plan = random() < 0.1 ? "enterprise" : random() < 0.45 ? "growth" : "starter";
  const arr = plan === "enterprise" ? between(80, 400) * 1000 : plan === "growth" ? between(15, 90) * 1000 : between(3, 25) * 1000;
  const baseEngagement = Math.min(1, 0.15 + 0.95 * Math.sqrt(random()));
  // Most accounts signed before the history starts; about a fifth during it.
  const contractStart = random() < 0.8 ? START - between(10, 900) : START + between(0, END - START - (churns ? 150 : 5));
  let churn: number | undefined;
  let returns: number | undefined;
  let drift = 0;
  if (churns) {
    // B2B customers mostly leave at a renewal; some mid-contract.
    const earliest = Math.max(START + 20, contractStart + 90);
    const renewals = [1, 2, 3].map((n) => contractStart + 365 * n).filter((day) => day >= earliest && day < END);
    churn = renewals.length > 0 && random() < 0.75 ? renewals[0]! : between(earliest, END - 1);
    drift = random() < 0.2 ? 0 : between(45, 120);
  } else if (random() < 0.015) {
    // Lost and won back: a gap of a few months in the middle of the year.
    churn = START + between(40, 150);
    returns = churn + between(60, 150);
    drift = between(30, 60);
  }
  const dipStart = random() < 0.1 ? between(START, END - 60) : undefined;
  const csm = plan === "starter" ? "" : `csm${between(1, 12)}@touchline.example`;
  const story: Story = {
    id, plan, arr, baseEngagement, zone: pick(ZONES), contractStart, churn, returns, drift,
    dip: dipStart === undefined ? undefined : { from: dipStart, to: dipStart + between(20, 45) },
    quietFrom: !churns && random() < 0.15 ? END - between(10, 40) : Infinity,
    csm, unsubscribed: random() < 0.02,
    championLeft: churn !== undefined && random() < 0.3 ? churn - between(20, 60) : random() < 0.04 ? between(START, END - 1) : undefined,
    arrChanges: [],
  };
  // Renewals: most renew flat, some buy more, some cut back.
  let current = arr;
  for (let n = 1; n <= 4; n++) {
    const day = contractStart + 365 * n;
    if (day < START || day >= END || (churn !== undefined && day >= churn && returns === undefined)) continue;
    const roll = random();
    const outcome = roll < 0.2 ? "expanded" : roll < 0.28 ? "contracted" : "renewed";
    if (outcome === "expanded") current = Math.round((current * (1.1 + random() * 0.3)) / 100) * 100;
    if (outcome === "contracted") current = Math.round((current * (0.7 + random() * 0.2)) / 100) * 100;
    story.arrChanges.push({ day, arr: current, outcome });
  }
  return story;
}

const isCustomer = (s: Story, day: number) => day >= s.contractStart && (s.churn === undefined || day < s.churn || (s.returns !== undefined && day >= s.returns));
function arrOn(s: Story, day: number): number {
  let arr = s.arr;
  for (const change of s.arrChanges) if (change.day <= day) arr = change.arr;
  return arr;
}
/** How engaged the account is on a day: its base, less while it drifts towards churn, dips or goes quiet. */
function engagementOn(s: Story, day: number): number {
  let factor = 1;
  if (s.churn !== undefined && s.drift > 0 && day < s.churn && day >= s.churn - s.drift) factor = 1 - 0.9 * ((day - (s.churn - s.drift)) / s.drift);
  if (s.dip && day >= s.dip.from && day < s.dip.to) factor = Math.min(factor, 0.35);
  if (day >= s.quietFrom) factor = Math.min(factor, 0.05);
  return s.baseEngagement * factor;
}
const renewalAfter = (s: Story, day: number) => s.contractStart + 365 * Math.max(1, Math.ceil((day - s.contractStart + 1) / 365));

const stories: Story[] = [];
for (let i = 1; i <= LIVE; i++) stories.push(story(i, false));
for (let i = LIVE + 1; i <= LIVE + CHURNED; i++) stories.push(story(i, true));

mkdirSync(`${folder}history`, { recursive: true });
const CONTRACT = "account_id,arr,seats_purchased,seats_active,nps,tickets_90d,contract_start,renewal_date,champion_left,kickoff_held,admin_email,csm_email,unsubscribed,plan,timezone";
const accounts = [CONTRACT];
const snapshots = [`as_of,${CONTRACT}`];
const mrr = ["account_id,month,mrr"];
const outcomes = ["account_id,date,outcome"];
const EVENTS = "account_id,timestamp,type,user_id,feature";
const events = [EVENTS];
/** Events of accounts that are no longer customers: only the history reads them, so `run` sees no unknown accounts. */
const pastEvents = [EVENTS];

for (const s of stories) {
  // Snapshots: on the first day as a customer within the year, then each month start.
  const days = new Set<number>();
  if (s.contractStart >= START && s.contractStart < END) days.add(s.contractStart);
  if (s.returns !== undefined) days.add(s.returns);
  for (const day of MONTH_STARTS) if (isCustomer(s, day)) days.add(day);
  let nps = "";
  for (const day of [...days].sort((a, b) => a - b)) {
    const engagement = engagementOn(s, day);
    const arr = arrOn(s, day);
    const seats = Math.max(3, Math.round(arr / 1200));
    const active = clamp(Math.round(seats * (engagement * 1.2 + (random() - 0.5) * 0.2)), 0, seats);
    // A survey reaches about a third of the accounts each quarter.
    if (random() < 0.12) nps = String(clamp(Math.round(engagement * 8 + random() * 4 - 1), 0, 10));
    const tickets = Math.round((1 - engagement) * 12 + random() * 6);
    const domain = `customer${s.id.slice(5).replace(/^0+/, "")}.example.com`;
    const row = [
      s.id, arr, seats, active, nps, tickets, isoDateOf(s.contractStart), isoDateOf(renewalAfter(s, day)),
      s.championLeft !== undefined && day >= s.championLeft ? "true" : "false", day >= s.contractStart + 5 || random() < 0.5 ? "true" : "false",
      `admin@${domain}`, s.csm, s.unsubscribed ? "true" : "false", s.plan, s.zone,
    ].join(",");
    snapshots.push(`${isoDateOf(day)},${row}`);
    if (day === END) accounts.push(row);
  }
  for (const month of MONTH_STARTS.slice(0, -1)) {
    const monthEnd = Date.UTC(new Date(month * DAY).getUTCFullYear(), new Date(month * DAY).getUTCMonth() + 1, 1) / DAY;
    // Revenue in effect for the month: a customer on any day of it pays for it.
    let paying = false;
    for (let day = month; day < monthEnd && !paying; day++) paying = isCustomer(s, day);
    if (paying) mrr.push(`${s.id},${monthText(month)},${Math.round(arrOn(s, Math.max(month, s.contractStart)) / 12)}`);
  }
  if (s.churn !== undefined) {
    if ((s.churn - s.contractStart) % 365 === 0) outcomes.push(`${s.id},${isoDateOf(s.churn)},renewal_due`);
    outcomes.push(`${s.id},${isoDateOf(s.churn)},churned`);
  }
  for (const change of s.arrChanges) {
    // A renewal that buys more or less is still a renewal: both outcomes are recorded.
    const date = isoDateOf(change.day);
    outcomes.push(`${s.id},${date},renewal_due`, `${s.id},${date},renewed`);
    if (change.outcome !== "renewed") outcomes.push(`${s.id},${date},${change.outcome}`);
  }

  const users = Math.max(3, Math.round(arrOn(s, START) / 1200));
  const sink = isCustomer(s, END) ? events : pastEvents;
  for (let day = Math.max(START, s.contractStart); day < END; day++) {
    if (!isCustomer(s, day)) continue;
    const engagement = engagementOn(s, day);
    // Each active user logs in a few times a month, more in engaged accounts.
    const rate = users * Math.min(1, engagement * 1.2) * (0.003 + engagement * 0.03);
    const count = Math.floor(rate + random());
    for (let e = 0; e < count; e++) {
      const at = new Date((day + random()) * DAY).toISOString().slice(0, 19) + "Z";
      const user = `u${between(1, users)}`;
      if (random() < 0.55) sink.push(`${s.id},${at},login,${user},`);
      else sink.push(`${s.id},${at},key_feature,${user},${pick(FEATURES)}`);
    }
    if (random() < 0.004) sink.push(`${s.id},${new Date((day + 0.6) * DAY).toISOString().slice(0, 19)}Z,webinar_attended,,`);
  }
}

const sortByDate = (rows: string[], column: number) => [rows[0]!, ...rows.slice(1).sort((a, b) => {
  const [x, y] = [a.split(",")[column]!, b.split(",")[column]!];
  return x < y ? -1 : x > y ? 1 : a < b ? -1 : a > b ? 1 : 0;
})];
writeFileSync(`${folder}accounts.csv`, `${accounts.join("\n")}\n`);
writeFileSync(`${folder}events.csv`, `${events.join("\n")}\n`);
writeFileSync(`${folder}history/past-events.csv`, `${pastEvents.join("\n")}\n`);
writeFileSync(`${folder}history/snapshots.csv`, `${sortByDate(snapshots, 0).join("\n")}\n`);
writeFileSync(`${folder}history/mrr.csv`, `${mrr.join("\n")}\n`);
writeFileSync(`${folder}history/outcomes.csv`, `${sortByDate(outcomes, 1).join("\n")}\n`);
console.log(`examples/saas-b2b: ${accounts.length - 1} accounts today, ${stories.length} over the year (${CHURNED + stories.filter((s) => s.returns !== undefined).length} churned), ${snapshots.length - 1} snapshots, ${events.length + pastEvents.length - 2} usage events`);
