import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { isoDateOf } from "../src/expression/literals.js";

/**
 * Generates the saas-b2b example's data: a few thousand accounts of a B2B
 * SaaS company and half a year of their usage events. Seeded, so every
 * machine gets the same files byte for byte.
 */
const folder = fileURLToPath(new URL("../../examples/saas-b2b/data/", import.meta.url));
const ACCOUNTS = Number(process.env.TOUCHLINE_EXAMPLE_ACCOUNTS ?? 2000);
const START = Date.UTC(2025, 8, 1) / 86_400_000; // 2025-09-01
const END = Date.UTC(2026, 2, 1) / 86_400_000; // 2026-03-01 (exclusive)

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

const ZONES = ["UTC", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "Asia/Tokyo"];
const FEATURES = ["reports", "integrations", "automations", "dashboards"];

mkdirSync(folder, { recursive: true });
const accounts = ["account_id,arr,seats_purchased,seats_active,nps,tickets_90d,contract_start,renewal_date,champion_left,kickoff_held,admin_email,csm_email,unsubscribed,plan,timezone"];
const events = ["account_id,timestamp,type,user_id,feature"];
for (let i = 1; i <= ACCOUNTS; i++) {
  const id = `ACME-${String(i).padStart(5, "0")}`;
  const plan = random() < 0.1 ? "enterprise" : random() < 0.45 ? "growth" : "starter";
  const arr = plan === "enterprise" ? between(80, 400) * 1000 : plan === "growth" ? between(15, 90) * 1000 : between(3, 25) * 1000;
  const seats = Math.max(3, Math.round(arr / 1200));
  // Engagement drives everything else: usage, sentiment, support.
  const engagement = Math.min(1, 0.15 + 0.95 * Math.sqrt(random()));
  const active = Math.min(seats, Math.round(seats * Math.min(1, engagement * 1.2 + (random() - 0.5) * 0.2)));
  const contractStart = START - between(0, 700) + between(0, 175);
  const renewal = contractStart + 365 * Math.max(1, Math.ceil((END - contractStart + 1) / 365));
  const nps = random() < 0.35 ? "" : String(Math.max(0, Math.min(10, Math.round(engagement * 8 + random() * 4 - 1))));
  const tickets = Math.round((1 - engagement) * 12 + random() * 6);
  const domain = `customer${i}.example.com`;
  const csm = plan === "starter" ? "" : `csm${between(1, 12)}@touchline.example`;
  accounts.push([
    id, arr, seats, active, nps, tickets, isoDateOf(contractStart), isoDateOf(renewal),
    random() < 0.04 ? "true" : "false", contractStart < END - 10 || random() < 0.5 ? "true" : "false",
    `admin@${domain}`, csm, random() < 0.02 ? "true" : "false", plan, pick(ZONES),
  ].join(","));
  const users = Math.max(1, active);
  // Each active user logs in a few times a month, more in engaged accounts.
  const dailyRate = users * (0.003 + engagement * 0.03);
  // A few accounts go quiet in the last weeks: what the triggers should catch.
  const quietFrom = random() < 0.15 ? END - between(10, 40) : END;
  for (let day = Math.max(START, contractStart); day < END; day++) {
    const rate = day >= quietFrom ? dailyRate * 0.05 : dailyRate;
    const count = Math.floor(rate + random());
    for (let e = 0; e < count; e++) {
      const at = new Date((day + random()) * 86_400_000).toISOString().slice(0, 19) + "Z";
      const user = `u${between(1, users)}`;
      if (random() < 0.55) events.push(`${id},${at},login,${user},`);
      else events.push(`${id},${at},key_feature,${user},${pick(FEATURES)}`);
    }
    if (random() < 0.004) events.push(`${id},${new Date((day + 0.6) * 86_400_000).toISOString().slice(0, 19)}Z,webinar_attended,,`);
  }
}
writeFileSync(`${folder}accounts.csv`, `${accounts.join("\n")}\n`);
writeFileSync(`${folder}events.csv`, `${events.join("\n")}\n`);
console.log(`examples/saas-b2b: ${ACCOUNTS} accounts, ${events.length - 1} usage events`);
