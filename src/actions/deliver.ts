import { hostname } from "node:os";
import { nextAllowedTime } from "../engine/clock.js";
import type { DeliveryPolicy } from "../engine/compiled.js";
import { EmailChannel } from "./channels/email.js";
import { postSigned } from "./channels/http.js";
import type { Outcome } from "./channels/outcome.js";
import { TaskChannel } from "./channels/tasks.js";
import { DeliveryJournal, foldAbandonedJournals } from "./journal.js";
import type { ActionKind, DueRow, OutboxLedger } from "./ledger.js";
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
  /** where each sending process journals the acknowledgements it has not yet folded into the ledger */
  journalFolder: string;
  progress?: (done: number, total: number) => void;
}

/** What a delivery pass did. */
export interface DeliveryReport {
  delivered: Record<ActionKind, number>;
  /** actions in the ledger waiting for their time (quiet hours, business days, holidays) after this pass */
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
/** Rows claimed in one commit; the acknowledgements of their messages are folded into the ledger with the next claim. */
const BATCH = 256;
/** Rows read from the ledger at a time: memory stays flat however long the outbox is. */
const PAGE = 512;

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
  // What a stopped process had sent is recorded before what it left unfinished is planned again.
  foldAbandonedJournals(options.journalFolder, ledger, ownerAlive, OWNER, LEASE_MS, now());
  report.recovered = ledger.recoverAbandoned(ownerAlive, now(), LEASE_MS);
  const total = ledger.dueCount(now());
  /** rows looked at in this pass that are still due (chosen for the next claim, or a claim lost to a change): never looked at twice */
  const seen = new Set<string>();
  let page: DueRow[] = [];
  /** rows chosen for the claim being put together, by account: the caps count them before they are claimed */
  const chosen = new Map<string, ActionKind[]>();
  const holidays = new Set(options.holidays);
  const allCaps = [...options.rules.values()].flatMap((r) => r.caps);
  const unreachable = new Set<ActionKind>();
  let email: EmailChannel | undefined;
  const tasks = new TaskChannel(options.tasks, settings.webhookSecret, options.timeoutMs, now);
  const minGap = options.rate ? 1000 / options.rate : 0;
  let lastDelivery = 0;
  let done = 0;
  const journal = new DeliveryJournal(options.journalFolder, OWNER);
  let index = 0;
  let suppressions = true;
  /**
   * The next row that may go out now, after the suppression list, the
   * calendar and the caps; what they hold back is recorded on the way.
   */
  const advance = (): DueRow | undefined => {
    for (;;) {
      if (index >= page.length) {
        page = ledger.due(now(), PAGE, seen);
        index = 0;
        if (page.length === 0) return undefined;
      }
      const row = page[index++]!;
      // Until it is claimed or held it is still due: a page read meanwhile must not return it again.
      seen.add(row.key);
      done++;
      if (done % 100 === 0) options.progress?.(Math.min(done, total), total);
      if (unreachable.has(row.kind)) {
        report.deferred++;
        continue;
      }
      const reachesCustomer = row.kind === "email" || row.kind === "webhook";
      const address = row.kind === "email" ? row.recipient : null;
      if (suppressions && (reachesCustomer || row.kind === "offer")) {
        const suppressed = ledger.suppressedBecause(row.account_id, address, row.kind === "email" ? row.category : null);
        if (suppressed) {
          if (ledger.hold(row, "suppressed", suppressed, now())) report.suppressed++;
          seen.delete(row.key);
          continue;
        }
      }
      if (reachesCustomer && !row.transactional) {
        const policy = options.rules.get(row.playbook)?.delivery ?? OPEN;
        const from = Math.max(now(), row.send_at);
        const open = holidays.size === 0 && !policy.businessDaysOnly && (policy.quietFrom === undefined || policy.quietFrom === policy.quietTo);
        const allowed = open ? { ms: from, iso: "", held: undefined } : nextAllowedTime(row.zone, from, policy, holidays);
        if (allowed.ms > now()) {
          if (open) allowed.iso = new Date(from).toISOString();
          if (row.state !== "waiting" || row.send_at !== allowed.ms) ledger.hold(row, "waiting", `waits until ${allowed.iso}${allowed.held ? ` (${allowed.held})` : ""}`, now(), allowed.ms);
          seen.delete(row.key);
          continue;
        }
      }
      if (!row.transactional && allCaps.length > 0) {
        // Sent and claimed rows count, and so do those already chosen for the claim being put together.
        const alsoChosen = chosen.get(row.account_id) ?? NONE;
        const cap = allCaps.find(
          (c) => (c.channel === "any" || c.channel === row.kind) && ledger.sentSince(row.account_id, c.channel, now() - c.perDays * 86_400_000) + alsoChosen.filter((kind) => c.channel === "any" || c.channel === kind).length >= c.max,
        );
        if (cap) {
          seen.delete(row.key);
          if (ledger.hold(row, "capped", `frequency cap: at most ${cap.max} ${cap.channel === "any" ? "actions" : cap.channel} per ${cap.perDays} days to one account, across every playbook; higher-priority actions went first`, now())) report.capped++;
          continue;
        }
      }
      if (allCaps.length > 0) chosen.set(row.account_id, [...(chosen.get(row.account_id) ?? NONE), row.kind]);
      return row;
    }
  };
  const emailChannel = () => (email ??= new EmailChannel(settings, options.timeoutMs));
  const transmit = async (row: DueRow, payload: unknown): Promise<Outcome> => {
    let outcome = await deliverOne(row, payload, settings, options, emailChannel, tasks);
    for (let tries = 0; tries < PASS_PAUSES_MS.length && !outcome.ok && outcome.transient; tries++) {
      await sleep(PASS_PAUSES_MS[tries]!);
      outcome = await deliverOne(row, payload, settings, options, emailChannel, tasks);
    }
    return outcome;
  };
  /** claimed rows, with their messages, in the order they go out */
  const queue: { row: DueRow; payload: unknown }[] = [];
  /**
   * Claims the next batch of rows that may go out, in the commit that also
   * folds the journal's acknowledgements of the batch before: one commit per
   * batch, not two per message.
   */
  const refill = () => {
    // Whether anyone is suppressed at all, asked again for each batch: an unsubscribe during a long pass counts from the next batch.
    suppressions = ledger.hasSuppressions();
    const batch: DueRow[] = [];
    for (let row = advance(); row; row = batch.length < BATCH ? advance() : undefined) batch.push(row);
    if (batch.length === 0) return;
    const claimed = journal.fold(ledger, () => ledger.claimMany(batch, OWNER, now()));
    chosen.clear();
    // Claimed rows leave the due set; one whose claim was lost stays in it, and is not looked at again.
    for (const key of claimed.keys()) seen.delete(key);
    for (const row of batch) {
      const payload = claimed.get(row.key);
      if (payload !== undefined) queue.push({ row, payload: JSON.parse(payload) as unknown });
    }
  };
  try {
    refill();
    while (queue.length > 0) {
      const { row, payload } = queue.shift()!;
      if (unreachable.has(row.kind)) {
        // Its channel went down while it waited its turn: given back untried.
        ledger.release(row, OWNER, now());
        seen.add(row.key);
        report.deferred++;
      } else {
        const attempts = row.attempts + 1;
        if (minGap > 0) {
          const wait = lastDelivery + minGap - Date.now();
          if (wait > 0) await sleep(wait);
          lastDelivery = Date.now();
        }
        const outcome = await transmit(row, payload);
        if (outcome.ok) {
          journal.append({ key: row.key, at: now(), messageId: outcome.messageId ?? null, note: outcome.note ?? null });
          report.delivered[row.kind]++;
        } else {
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
      }
      if (queue.length === 0) refill();
    }
  } finally {
    journal.close(ledger);
    email?.close();
    tasks.close();
  }
  options.progress?.(total, total);
  const waiting = ledger.waiting();
  report.waiting = waiting.count;
  report.nextAt = waiting.nextAt;
  report.problems = [...problems];
  return report;
}

const NONE: readonly ActionKind[] = [];
const OPEN: DeliveryPolicy = { quietFrom: undefined, quietTo: undefined, businessDaysOnly: false };

/** Not async itself: the channel's promise is handed on as it is (one hop less for every message). */
function deliverOne(row: DueRow, payload: unknown, settings: DeliverySettings, options: DeliveryOptions, email: () => EmailChannel, tasks: TaskChannel): Promise<Outcome> {
  switch (row.kind) {
    case "email":
      return email().deliver(payload as EmailPayload, row.key);
    case "task":
      return tasks.deliver(payload as TaskPayload, row.key);
    case "offer":
      return Promise.resolve({ ok: true, note: `offer ${(payload as OfferPayload).offer_id} recorded` });
    case "webhook": {
      const hook = payload as WebhookPayload;
      return postSigned(hook.url, hook.body, row.key, settings.webhookSecret!, options.timeoutMs, options.now());
    }
  }
}
