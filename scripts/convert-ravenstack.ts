import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse/sync";

/**
 * Turns RavenStack's five exports into the history `touchline simulate`
 * and `touchline kpi` read (examples/ravenstack/history/):
 *
 * - snapshots.csv: each account on its signup day and on the first day of
 *   every month after it, with the subscription it had then (the latest one started on or
 *   before that day, as `run` joins it). Only what was known that day: a
 *   subscription's end date appears once it has passed, and the final
 *   `churn_flag` label is left false (it is the answer, not an input).
 * - mrr.csv: per account and month, the MRR of the subscriptions active on
 *   the month's last day. Subscriptions overlap, so an account's MRR is
 *   their sum (as RavenStack's README says).
 * - outcomes.csv: `churned` on each churn event's date (the churn events are
 *   the source of truth; `accounts.churn_flag` disagrees with them for 312
 *   accounts), `expanded` / `contracted` on the start of a subscription
 *   flagged as an upgrade / a downgrade.
 *
 * Usage events stay as they are: the project reads them through the
 * subscription lookup (19,142 of 25,000 are dated before their
 * subscription started, so usage is tied to the account, not the window).
 *
 *   node dist/scripts/convert-ravenstack.js [source folder] [output folder]
 */
const root = fileURLToPath(new URL("../../", import.meta.url));
const source = resolve(process.argv[2] ?? join(root, "../shared/data/ravenstack"));
const out = resolve(process.argv[3] ?? join(root, "examples/ravenstack/history"));

type Row = Record<string, string>;
function read(name: string): Row[] {
  const file = join(source, `ravenstack_${name}.csv`);
  try {
    return parse(readFileSync(file, "utf8"), { columns: true, skip_empty_lines: true }) as Row[];
  } catch (error) {
    console.error(`cannot read ${file}: ${(error as Error).message}`);
    process.exit(1);
  }
}

const DAY = 86_400_000;
const dayOf = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / DAY;
const isoOf = (day: number) => new Date(day * DAY).toISOString().slice(0, 10);
const monthStart = (year: number, month: number) => Date.UTC(year, month, 1) / DAY;
const csvCell = (value: string) => (/[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
const csv = (rows: string[][]) => `${rows.map((r) => r.map(csvCell).join(",")).join("\n")}\n`;

const accounts = read("accounts");
const subscriptions = read("subscriptions");
const churnEvents = read("churn_events");

interface Subscription {
  start: number;
  end: number | undefined;
  row: Row;
  index: number;
}
const byAccount = new Map<string, Subscription[]>();
subscriptions.forEach((row, index) => {
  const list = byAccount.get(row.account_id!) ?? [];
  list.push({ start: dayOf(row.start_date!), end: row.end_date ? dayOf(row.end_date) : undefined, row, index });
  byAccount.set(row.account_id!, list);
});

const allDays = subscriptions.flatMap((s) => [s.start_date!, s.end_date!].filter(Boolean)).concat(churnEvents.map((c) => c.churn_date!));
const lastDay = dayOf(allDays.reduce((a, b) => (a > b ? a : b)));
const firstDay = dayOf(accounts.map((a) => a.signup_date!).reduce((a, b) => (a < b ? a : b)));
const months: number[] = [];
for (let d = new Date(firstDay * DAY), y = d.getUTCFullYear(), m = d.getUTCMonth(); monthStart(y, m) <= lastDay; m++) months.push(monthStart(y, m));

const snapshots: string[][] = [["account_id", "as_of", "name", "industry", "country", "signup_date", "referral_source", "initial_plan", "signup_seats", "plan", "seats", "is_trial", "churn_flag", "mrr", "arr", "subscription_start", "subscription_end", "auto_renew", "billing"]];
const mrr: string[][] = [["account_id", "month", "mrr"]];
for (const account of accounts) {
  const signup = dayOf(account.signup_date!);
  const subs = byAccount.get(account.account_id!) ?? [];
  // An account exists from its signup: a snapshot that day, then one each month.
  for (const day of [signup, ...months.filter((m) => m > signup)]) {
    // The subscription `run` would join on this day: the latest started (the last in the file on a tie).
    const current = subs.filter((s) => s.start <= day).reduce<Subscription | undefined>((a, b) => (!a || b.start > a.start || (b.start === a.start && b.index > a.index) ? b : a), undefined);
    const sub = current?.row;
    snapshots.push([
      account.account_id!, isoOf(day), account.account_name!, account.industry!, account.country!, account.signup_date!, account.referral_source!,
      account.plan_tier!, account.seats!,
      sub?.plan_tier ?? account.plan_tier!, sub?.seats ?? account.seats!, sub?.is_trial ?? account.is_trial!, "False",
      sub?.mrr_amount ?? "0", sub?.arr_amount ?? "0", sub?.start_date ?? account.signup_date!,
      current?.end !== undefined && current.end <= day ? sub!.end_date! : "", sub?.auto_renew_flag ?? "False", sub?.billing_frequency ?? "monthly",
    ]);
  }
  for (const day of months) {
    const date = new Date(day * DAY);
    const last = monthStart(date.getUTCFullYear(), date.getUTCMonth() + 1) - 1;
    if (last > lastDay) break;
    const total = subs.filter((s) => s.start <= last && (s.end === undefined || s.end >= last)).reduce((sum, s) => sum + Number(s.row.mrr_amount), 0);
    if (total > 0) mrr.push([account.account_id!, isoOf(day).slice(0, 7), String(total)]);
  }
}

const outcomes: string[][] = [["account_id", "date", "outcome"]];
for (const event of churnEvents) outcomes.push([event.account_id!, event.churn_date!, "churned"]);
for (const row of subscriptions) {
  if (row.upgrade_flag === "True") outcomes.push([row.account_id!, row.start_date!, "expanded"]);
  if (row.downgrade_flag === "True") outcomes.push([row.account_id!, row.start_date!, "contracted"]);
}
const [header, ...rest] = outcomes;
rest.sort((a, b) => (a[1]! < b[1]! ? -1 : a[1]! > b[1]! ? 1 : a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : a[2]! < b[2]! ? -1 : 1));

mkdirSync(out, { recursive: true });
writeFileSync(join(out, "snapshots.csv"), csv(snapshots));
writeFileSync(join(out, "mrr.csv"), csv(mrr));
writeFileSync(join(out, "outcomes.csv"), csv([header!, ...rest]));
const flagged = new Set(accounts.filter((a) => a.churn_flag === "True").map((a) => a.account_id));
const withEvents = new Set(churnEvents.map((c) => c.account_id));
console.log(`RavenStack -> ${out}: ${snapshots.length - 1} snapshots of ${accounts.length} accounts (at signup, then monthly), ${mrr.length - 1} account-months of MRR, ${rest.length} outcomes (${churnEvents.length} churn events of ${withEvents.size} accounts; accounts.churn_flag marks ${flagged.size}, ${[...withEvents].filter((a) => !flagged.has(a)).length} of those with events are not flagged: the events are used)`);
