import { copyFileSync, cpSync, existsSync, mkdirSync, openSync, closeSync, writeSync, writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** The day the data-engine benchmark evaluates, and the days its events fall on (the 60 before it). */
export const BENCH_DAY = "2026-03-01";
const END = Date.UTC(2026, 2, 2) / 86_400_000;
const ZONES = ["UTC", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "Asia/Tokyo"];

/** Writes a large file in 4 MB chunks. */
class ChunkedFile {
  private readonly fd: number;
  private parts: string[] = [];
  private size = 0;

  constructor(path: string) {
    this.fd = openSync(path, "w");
  }

  line(text: string): void {
    this.parts.push(text);
    this.size += text.length + 1;
    if (this.size > 4 << 20) this.flush();
  }

  flush(): void {
    if (this.parts.length === 0) return;
    writeSync(this.fd, `${this.parts.join("\n")}\n`);
    this.parts = [];
    this.size = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/**
 * A project for the data-engine benchmark: the ready b2b-saas playbook and
 * generated accounts (its data contract) with exactly `events` usage events
 * over the 60 days before the evaluated day. Seeded: the same files every time.
 */
export function benchProject(dir: string, accounts: number, events: number): string {
  const marker = join(dir, `.generated-${accounts}-${events}`);
  if (existsSync(marker)) return dir;
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(root, "playbooks/b2b-saas.play"), join(dir, "b2b-saas.play"));
  cpSync(join(root, "playbooks/templates"), join(dir, "templates"), { recursive: true });
  writeFileSync(join(dir, "touchline.yaml"), `playbook: b2b-saas.play\naccounts: accounts.csv\n${events > 0 ? "events: events.csv\n" : ""}timezone: UTC\n`);
  let seed = 42;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const iso = (day: number) => new Date(day * 86_400_000).toISOString().slice(0, 10);
  const file = new ChunkedFile(join(dir, "accounts.csv"));
  file.line("account_id,arr,seats_purchased,seats_active,nps,tickets_90d,contract_start,renewal_date,champion_left,kickoff_held,admin_email,csm_email,unsubscribed,plan,timezone");
  const seats: number[] = new Array(accounts);
  for (let i = 0; i < accounts; i++) {
    const plan = random() < 0.1 ? "enterprise" : random() < 0.45 ? "growth" : "starter";
    const arr = plan === "enterprise" ? 80_000 + Math.floor(random() * 320) * 1000 : plan === "growth" ? 15_000 + Math.floor(random() * 75) * 1000 : 3000 + Math.floor(random() * 22) * 1000;
    seats[i] = Math.max(3, Math.round(arr / 1200));
    const active = Math.round(seats[i]! * random());
    const start = END - 30 - Math.floor(random() * 700);
    const renewal = start + 365 * Math.max(1, Math.ceil((END - start + 1) / 365));
    const nps = random() < 0.35 ? "" : String(Math.floor(random() * 11));
    file.line(`B${i},${arr},${seats[i]},${active},${nps},${Math.floor(random() * 20)},${iso(start)},${iso(renewal)},${random() < 0.04},${random() < 0.9},admin@c${i}.example.com,${plan === "starter" ? "" : `csm${i % 12}@touchline.example`},${random() < 0.02},${plan},${ZONES[i % ZONES.length]}`);
  }
  file.close();
  if (events > 0) {
    const out = new ChunkedFile(join(dir, "events.csv"));
    out.line("account_id,timestamp,type,user_id,feature");
    const features = ["reports", "integrations", "automations", "dashboards"];
    for (let e = 0; e < events; e++) {
      const account = Math.floor(random() * accounts);
      const at = new Date((END - 60 + random() * 60) * 86_400_000).toISOString().slice(0, 19);
      const user = `u${1 + Math.floor(random() * seats[account]!)}`;
      const r = random();
      out.line(r < 0.55 ? `B${account},${at}Z,login,${user},` : r < 0.99 ? `B${account},${at}Z,key_feature,${user},${features[e % 4]}` : `B${account},${at}Z,webinar_attended,,`);
    }
    out.close();
  }
  writeFileSync(marker, "");
  return dir;
}

/** The playbook text, for the baseline's constants. */
export function benchPlaybookText(): string {
  return readFileSync(join(root, "playbooks/b2b-saas.play"), "utf8");
}

/** The replay benchmark's year: replayed from REPLAY_FROM to REPLAY_TO, events from 60 days before. */
export const REPLAY_FROM = "2025-03-02";
export const REPLAY_TO = "2026-03-01";

/**
 * A project with a history for the replay benchmark: the ready b2b-saas
 * playbook, monthly snapshots of `accounts` accounts over a year, `events`
 * usage events over that year and the 60 days before it, and outcomes with
 * about one account in ten churning. Seeded: the same files every time.
 */
export function historyBenchProject(dir: string, accounts: number, events: number): string {
  const marker = join(dir, `.generated-history-${accounts}-${events}`);
  if (existsSync(marker)) return dir;
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(root, "playbooks/b2b-saas.play"), join(dir, "b2b-saas.play"));
  cpSync(join(root, "playbooks/templates"), join(dir, "templates"), { recursive: true });
  writeFileSync(join(dir, "touchline.yaml"), "playbook: b2b-saas.play\naccounts: accounts.csv\nevents: events.csv\ntimezone: UTC\nhistory:\n  snapshots: snapshots.csv\n  outcomes: outcomes.csv\n");
  let seed = 7;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const iso = (day: number) => new Date(day * 86_400_000).toISOString().slice(0, 10);
  const from = Date.parse(`${REPLAY_FROM}T00:00:00Z`) / 86_400_000;
  const to = Date.parse(`${REPLAY_TO}T00:00:00Z`) / 86_400_000;
  const header = "account_id,arr,seats_purchased,seats_active,nps,tickets_90d,contract_start,renewal_date,champion_left,kickoff_held,admin_email,csm_email,unsubscribed,plan,timezone";
  writeFileSync(join(dir, "accounts.csv"), `${header}\n`);
  const snapshots = new ChunkedFile(join(dir, "snapshots.csv"));
  snapshots.line(`as_of,${header}`);
  const outcomes = new ChunkedFile(join(dir, "outcomes.csv"));
  outcomes.line("account_id,date,outcome");
  const seats: number[] = new Array(accounts);
  for (let i = 0; i < accounts; i++) {
    const plan = random() < 0.1 ? "enterprise" : random() < 0.45 ? "growth" : "starter";
    const arr = plan === "enterprise" ? 80_000 + Math.floor(random() * 320) * 1000 : plan === "growth" ? 15_000 + Math.floor(random() * 75) * 1000 : 3000 + Math.floor(random() * 22) * 1000;
    seats[i] = Math.max(3, Math.round(arr / 1200));
    const start = from - 30 - Math.floor(random() * 700);
    const churn = random() < 0.1 ? from + 30 + Math.floor(random() * 330) : undefined;
    for (let month = 0; month < 13; month++) {
      const day = Date.UTC(2025, 2 + month, 1) / 86_400_000;
      if (churn !== undefined && day >= churn) break;
      const renewal = start + 365 * Math.max(1, Math.ceil((day - start + 1) / 365));
      const nps = random() < 0.35 ? "" : String(Math.floor(random() * 11));
      snapshots.line(`${iso(day)},B${i},${arr},${seats[i]},${Math.round(seats[i]! * random())},${nps},${Math.floor(random() * 20)},${iso(start)},${iso(renewal)},${random() < 0.04},${random() < 0.9},admin@c${i}.example.com,${plan === "starter" ? "" : `csm${i % 12}@touchline.example`},${random() < 0.02},${plan},${ZONES[i % ZONES.length]}`);
    }
    if (churn !== undefined) outcomes.line(`B${i},${iso(churn)},churned`);
  }
  snapshots.close();
  outcomes.close();
  const out = new ChunkedFile(join(dir, "events.csv"));
  out.line("account_id,timestamp,type,user_id,feature");
  const features = ["reports", "integrations", "automations", "dashboards"];
  const span = to + 1 - (from - 60);
  for (let e = 0; e < events; e++) {
    const account = Math.floor(random() * accounts);
    const at = new Date((from - 60 + random() * span) * 86_400_000).toISOString().slice(0, 19);
    const user = `u${1 + Math.floor(random() * seats[account]!)}`;
    const r = random();
    out.line(r < 0.55 ? `B${account},${at}Z,login,${user},` : r < 0.99 ? `B${account},${at}Z,key_feature,${user},${features[e % 4]}` : `B${account},${at}Z,webinar_attended,,`);
  }
  out.close();
  writeFileSync(marker, "");
  return dir;
}
