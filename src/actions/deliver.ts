import { hostname } from "node:os";
import { nextAllowedTime } from "../engine/clock.js";
import type { DeliveryPolicy } from "../engine/compiled.js";
import { EmailChannel } from "./channels/email.js";
import { postSigned } from "./channels/http.js";
import type { Outcome } from "./channels/outcome.js";
import { TaskChannel } from "./channels/tasks.js";
import type { ActionKind, OutboxLedger, OutboxRow } from "./ledger.js";
import type { EmailPayload, OfferPayload, TaskPayload, WebhookPayload } from "./plan.js";
import { redact, type DeliverySettings } from "./settings.js";

/** The rules delivery applies to one playbook's actions: its quiet hours and business days, and its frequency caps. */
export interface PlaybookRules {
  delivery: DeliveryPolicy;
  caps: readonly { channel: ActionKind | "any"; max: number; perDays: number }[];
}

export interface DeliveryOptions {
  /** the clock: when "now" is (injected, so a pass can be replayed) */
  now: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** each playbook's rules, by name; the caps of every playbook apply across all of them */
  rules: ReadonlyMap<string, PlaybookRules>;
  holidays: readonly string[];
  /** deliveries per second at most */
  rate: number | undefined;
  maxAttempts: number;
  timeoutMs: number;
  tasks: string;
  progress?: (done: number, total: number) => void;
}

/** What a delivery pass did. */
export interface DeliveryReport {
  delivered: Record<ActionKind, number>;
  waiting: number;
  /** the earliest time a waiting action may go out */
  nextAt: number | undefined;
  capped: number;
  suppressed: number;
  failed: number;
  dead: number;
  /** actions left for the next pass because their channel could not be reached */
  deferred: number;
  /** actions found `sending` by a process that stopped, planned again */
  recovered: number;
  /** distinct problems, secrets removed */
  problems: string[];
}

/** Tries within one pass for a failure that may pass, and the pauses between them. */
const PASS_PAUSES_MS = [200, 1000];
/** How long a claimed row may stay `sending` before another host may take it over. */
const LEASE_MS = 15 * 60_000;

/** The wait before the next attempt after `attempts` failed ones: 5 minutes, doubling, at most 6 hours. */
export function backoffMs(attempts: number): number {
  return Math.min(5 * 60_000 * 2 ** Math.max(0, attempts - 1), 6 * 3_600_000);
}

/** This process, as a ledger row's claimant. */
export const OWNER = `${hostname()}:${process.pid}`;

/** Whether the process that claimed a row may still be sending it: on this host, whether it runs; elsewhere, assumed so until its lease ends. */
function ownerAlive(owner: string): boolean {
  const [host, pid] = owner.split(":");
  if (host !== hostname()) return true;
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * One delivery pass over the ledger. For each due action, highest priority
 * first: the suppression list, then (unless transactional) quiet hours,
 * business days and holidays in the account's zone (it waits, it is not
 * dropped), then the frequency caps across every playbook; then the action
 * is claimed, delivered, and recorded. A failure that may pass is tried
 * again with pauses, then left for a later pass with a growing wait; a
 * refusal (SMTP 5xx, HTTP 4xx) is not retried by itself.
 */
export async function deliverDue(ledger: OutboxLedger, settings: DeliverySettings, options: DeliveryOptions): Promise<DeliveryReport> {
  const now = options.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const report: DeliveryReport = { delivered: { email: 0, task: 0, offer: 0, webhook: 0 }, waiting: 0, nextAt: undefined, capped: 0, suppressed: 0, failed: 0, dead: 0, deferred: 0, recovered: 0, problems: [] };
  const problems = new Set<string>();
  report.recovered = ledger.recoverAbandoned(ownerAlive, now(), LEASE_MS);
  const rows = ledger.due(now());
  const holidays = new Set(options.holidays);
  const allCaps = [...options.rules.values()].flatMap((r) => r.caps);
  const unreachable = new Set<ActionKind>();
  let email: EmailChannel | undefined;
  const tasks = new TaskChannel(options.tasks, settings.webhookSecret, options.timeoutMs, now);
  const minGap = options.rate ? 1000 / options.rate : 0;
  let lastDelivery = 0;
  let done = 0;
  // A delivery recorded as sent together with the next claim (one commit per message); written before anything else is.
  let sent: { key: string; now: number; messageId: string | null; note: string | null } | undefined;
  const flush = () => {
    if (sent) ledger.markSent(sent.key, sent.now, sent.messageId, sent.note);
    sent = undefined;
  };
  const claim = (row: OutboxRow): boolean => {
    if (!sent) return ledger.claim(row, OWNER, now());
    const claimed = ledger.markSentAndClaim(sent, row, OWNER, now());
    sent = undefined;
    return claimed;
  };
  try {
    for (const row of rows) {
      done++;
      if (done % 100 === 0) options.progress?.(done, rows.length);
      if (unreachable.has(row.kind)) {
        report.deferred++;
        continue;
      }
      const reachesCustomer = row.kind === "email" || row.kind === "webhook";
      const address = row.kind === "email" ? row.recipient : null;
      if (reachesCustomer || row.kind === "offer") {
        const suppressed = ledger.suppressedBecause(row.account_id, address, row.kind === "email" ? row.category : null);
        if (suppressed) {
          flush();
          if (ledger.hold(row, "suppressed", suppressed, now())) report.suppressed++;
          continue;
        }
      }
      if (reachesCustomer && !row.transactional) {
        const policy = options.rules.get(row.playbook)?.delivery ?? OPEN;
        const from = Math.max(now(), row.send_at);
        const open = holidays.size === 0 && !policy.businessDaysOnly && (policy.quietFrom === undefined || policy.quietFrom === policy.quietTo);
        const allowed = open ? { ms: from, iso: new Date(from).toISOString(), held: undefined } : nextAllowedTime(row.zone, from, policy, holidays);
        if (allowed.ms > now()) {
          flush();
          if (row.state !== "waiting" || row.send_at !== allowed.ms) ledger.hold(row, "waiting", `waits until ${allowed.iso}${allowed.held ? ` (${allowed.held})` : ""}`, now(), allowed.ms);
          report.waiting++;
          report.nextAt = Math.min(report.nextAt ?? Infinity, allowed.ms);
          continue;
        }
      }
      if (!row.transactional) {
        const cap = allCaps.find((c) => (c.channel === "any" || c.channel === row.kind) && ledger.sentSince(row.account_id, c.channel, now() - c.perDays * 86_400_000) >= c.max);
        if (cap) {
          flush();
          if (ledger.hold(row, "capped", `frequency cap: at most ${cap.max} ${cap.channel === "any" ? "actions" : cap.channel} per ${cap.perDays} days to one account, across every playbook; higher-priority actions went first`, now())) report.capped++;
          continue;
        }
      }
      if (!claim(row)) continue;
      const attempts = row.attempts + 1;
      if (minGap > 0) {
        const wait = lastDelivery + minGap - Date.now();
        if (wait > 0) await sleep(wait);
        lastDelivery = Date.now();
      }
      let outcome: Outcome = { ok: false, error: "not tried", transient: true };
      for (let tries = 0; tries <= PASS_PAUSES_MS.length; tries++) {
        if (tries > 0) await sleep(PASS_PAUSES_MS[tries - 1]!);
        outcome = await deliverOne(row, settings, options, () => (email ??= new EmailChannel(settings, options.timeoutMs)), tasks);
        if (outcome.ok || !outcome.transient) break;
      }
      if (outcome.ok) {
        sent = { key: row.key, now: now(), messageId: outcome.messageId ?? null, note: outcome.note ?? null };
        report.delivered[row.kind]++;
        continue;
      }
      const error = redact(outcome.error, settings);
      problems.add(error);
      if (outcome.transient && attempts < options.maxAttempts) {
        ledger.markFailed(row.key, now(), error, now() + backoffMs(attempts), false);
        report.failed++;
      } else if (outcome.transient) {
        ledger.markFailed(row.key, now(), `${error} (gave up after ${attempts} attempts)`, null, true);
        report.dead++;
      } else {
        ledger.markFailed(row.key, now(), error, null, false);
        report.failed++;
      }
      if (outcome.unreachable) unreachable.add(row.kind);
    }
  } finally {
    flush();
    email?.close();
    tasks.close();
  }
  options.progress?.(rows.length, rows.length);
  report.problems = [...problems];
  return report;
}

const OPEN: DeliveryPolicy = { quietFrom: undefined, quietTo: undefined, businessDaysOnly: false };

async function deliverOne(row: OutboxRow, settings: DeliverySettings, options: DeliveryOptions, email: () => EmailChannel, tasks: TaskChannel): Promise<Outcome> {
  const payload = JSON.parse(row.payload) as unknown;
  switch (row.kind) {
    case "email":
      return email().deliver(payload as EmailPayload, row.key);
    case "task":
      return tasks.deliver(payload as TaskPayload, row.key);
    case "offer":
      return { ok: true, note: `offer ${(payload as OfferPayload).offer_id} recorded` };
    case "webhook": {
      const hook = payload as WebhookPayload;
      return postSigned(hook.url, hook.body, row.key, settings.webhookSecret!, options.timeoutMs, options.now());
    }
  }
}
