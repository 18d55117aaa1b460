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

/** mulberry32: the same numbers on every machine. */
function seededRandom(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const iso = (day: number) => new Date(day * 86_400_000).toISOString().slice(0, 10);
const CONTRACT_HEADER = "account_id,arr,seats_purchased,seats_active,nps,tickets_90d,contract_start,renewal_date,champion_left,kickoff_held,admin_email,csm_email,unsubscribed,plan,timezone";

/** A benchmark project's folder: the ready b2b-saas playbook, its templates and the given touchline.yaml. */
function startProject(dir: string, config: string): void {
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(root, "playbooks/b2b-saas.play"), join(dir, "b2b-saas.play"));
  cpSync(join(root, "playbooks/templates"), join(dir, "templates"), { recursive: true });
  writeFileSync(join(dir, "touchline.yaml"), config);
}

/** A plan, its ARR and the seats bought, drawn as a B2B SaaS book of business looks. */
function drawContract(random: () => number): { plan: string; arr: number; seats: number } {
  const plan = random() < 0.1 ? "enterprise" : random() < 0.45 ? "growth" : "starter";
  const arr = plan === "enterprise" ? 80_000 + Math.floor(random() * 320) * 1000 : plan === "growth" ? 15_000 + Math.floor(random() * 75) * 1000 : 3000 + Math.floor(random() * 22) * 1000;
  return { plan, arr, seats: Math.max(3, Math.round(arr / 1200)) };
}

/** One row of the data contract (tickets, champion, kickoff and unsubscribed drawn here). */
function contractRow(random: () => number, i: number, c: { plan: string; arr: number; seats: number }, active: number, nps: string, start: number, renewal: number): string {
  return `B${i},${c.arr},${c.seats},${active},${nps},${Math.floor(random() * 20)},${iso(start)},${iso(renewal)},${random() < 0.04},${random() < 0.9},admin@c${i}.example.com,${c.plan === "starter" ? "" : `csm${i % 12}@touchline.example`},${random() < 0.02},${c.plan},${ZONES[i % ZONES.length]}`;
}

/** `count` usage events (logins, key features, webinars) of random accounts over `span` days from `firstDay`. */
function writeEvents(path: string, random: () => number, count: number, seats: readonly number[], firstDay: number, span: number): void {
  const out = new ChunkedFile(path);
  out.line("account_id,timestamp,type,user_id,feature");
  const features = ["reports", "integrations", "automations", "dashboards"];
  for (let e = 0; e < count; e++) {
    const account = Math.floor(random() * seats.length);
    const at = new Date((firstDay + random() * span) * 86_400_000).toISOString().slice(0, 19);
    const user = `u${1 + Math.floor(random() * seats[account]!)}`;
    const r = random();
    out.line(r < 0.55 ? `B${account},${at}Z,login,${user},` : r < 0.99 ? `B${account},${at}Z,key_feature,${user},${features[e % 4]}` : `B${account},${at}Z,webinar_attended,,`);
  }
  out.close();
}

/**
 * A project for the data-engine benchmark: the ready b2b-saas playbook and
 * generated accounts (its data contract) with exactly `events` usage events
 * over the 60 days before the evaluated day. Seeded: the same files every time.
 */
export function benchProject(dir: string, accounts: number, events: number): string {
  const marker = join(dir, `.generated-${accounts}-${events}`);
  if (existsSync(marker)) return dir;
  startProject(dir, `playbook: b2b-saas.play\naccounts: accounts.csv\n${events > 0 ? "events: events.csv\n" : ""}timezone: UTC\n`);
  const random = seededRandom(42);
  const file = new ChunkedFile(join(dir, "accounts.csv"));
  file.line(CONTRACT_HEADER);
  const seats: number[] = new Array(accounts);
  for (let i = 0; i < accounts; i++) {
    const contract = drawContract(random);
    seats[i] = contract.seats;
    const active = Math.round(contract.seats * random());
    const start = END - 30 - Math.floor(random() * 700);
    const renewal = start + 365 * Math.max(1, Math.ceil((END - start + 1) / 365));
    const nps = random() < 0.35 ? "" : String(Math.floor(random() * 11));
    file.line(contractRow(random, i, contract, active, nps, start, renewal));
  }
  file.close();
  if (events > 0) writeEvents(join(dir, "events.csv"), random, events, seats, END - 60, 60);
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
  startProject(dir, "playbook: b2b-saas.play\naccounts: accounts.csv\nevents: events.csv\ntimezone: UTC\nhistory:\n  snapshots: snapshots.csv\n  outcomes: outcomes.csv\n");
  const random = seededRandom(7);
  const from = Date.parse(`${REPLAY_FROM}T00:00:00Z`) / 86_400_000;
  const to = Date.parse(`${REPLAY_TO}T00:00:00Z`) / 86_400_000;
  writeFileSync(join(dir, "accounts.csv"), `${CONTRACT_HEADER}\n`);
  const snapshots = new ChunkedFile(join(dir, "snapshots.csv"));
  snapshots.line(`as_of,${CONTRACT_HEADER}`);
  const outcomes = new ChunkedFile(join(dir, "outcomes.csv"));
  outcomes.line("account_id,date,outcome");
  const seats: number[] = new Array(accounts);
  for (let i = 0; i < accounts; i++) {
    const contract = drawContract(random);
    seats[i] = contract.seats;
    const start = from - 30 - Math.floor(random() * 700);
    const churn = random() < 0.1 ? from + 30 + Math.floor(random() * 330) : undefined;
    for (let month = 0; month < 13; month++) {
      const day = Date.UTC(2025, 2 + month, 1) / 86_400_000;
      if (churn !== undefined && day >= churn) break;
      const renewal = start + 365 * Math.max(1, Math.ceil((day - start + 1) / 365));
      const nps = random() < 0.35 ? "" : String(Math.floor(random() * 11));
      const active = Math.round(contract.seats * random());
      snapshots.line(`${iso(day)},${contractRow(random, i, contract, active, nps, start, renewal)}`);
    }
    if (churn !== undefined) outcomes.line(`B${i},${iso(churn)},churned`);
  }
  snapshots.close();
  outcomes.close();
  writeEvents(join(dir, "events.csv"), random, events, seats, from - 60, to + 1 - (from - 60));
  writeFileSync(marker, "");
  return dir;
}
