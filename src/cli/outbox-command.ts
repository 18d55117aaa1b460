import { createServer } from "node:http";
import type { DeliveryReport } from "../actions/deliver.js";
import { OUTBOX_STATES, type OutboxFilter, type OutboxRow, type OutboxState } from "../actions/ledger.js";
import { deliverProject, withLedger } from "../actions/send.js";
import { loadDeliverySettings, SettingsError } from "../actions/settings.js";
import { verifyUnsubscribeToken } from "../actions/unsubscribe.js";
import { epochDayOf } from "../expression/literals.js";
import { loadProject, type Project } from "../run/project.js";
import { preparePlaybook } from "../run/run.js";
import type { StateStore } from "../run/state-store.js";
import { DEFAULT_CATEGORY } from "../actions/plan.js";
import { clockOption, deliveryProgress, withProject } from "./run-command.js";
import { EXIT, UsageError, type Io } from "./output.js";
import { renderTable, thousands } from "./table.js";

/** What a delivery pass did, for the terminal. */
export function renderDelivery(report: DeliveryReport): string {
  const lines: string[] = [];
  const sent = report.delivered;
  const total = sent.email + sent.task + sent.offer + sent.webhook;
  lines.push(`Delivered: ${thousands(sent.email)} emails sent, ${thousands(sent.task)} tasks written, ${thousands(sent.offer)} offers recorded, ${thousands(sent.webhook)} webhooks called${total + report.failed + report.dead + report.deferred + report.capped + report.suppressed === 0 ? " (nothing was due)" : ""}.`);
  if (report.recovered > 0) lines.push(`Recovered: ${thousands(report.recovered)} actions a stopped process was sending were sent again (at least once for those; the receiver sees the same Message-ID).`);
  if (report.waiting > 0) lines.push(`Waiting: ${thousands(report.waiting)} (quiet hours, business days, holidays); the first may go out at ${new Date(report.nextAt!).toISOString()}: run \`touchline outbox deliver\` then.`);
  if (report.suppressed > 0) lines.push(`Suppressed: ${thousands(report.suppressed)} (suppression list or unsubscribed).`);
  if (report.capped > 0) lines.push(`Capped: ${thousands(report.capped)} (frequency caps across the project).`);
  if (report.failed + report.dead + report.deferred > 0) {
    lines.push(
      `Not delivered: ${thousands(report.failed)} failed, ${thousands(report.dead)} given up, ${thousands(report.deferred)} left for the next pass because their channel could not be reached. Nothing is lost: \`touchline outbox --state failed,dead\` lists them with why; a failure that may pass (a deferral, a server down) is tried again by the next \`run --send\` or \`outbox deliver\` once its wait is over, while a refusal and a given-up action wait for \`touchline outbox retry\`.`,
    );
    for (const problem of report.problems.slice(0, 5)) lines.push(`  ${problem}`);
  }
  return lines.join("\n");
}

export interface OutboxListOptions {
  /** each given --state (repeatable), each a comma-separated list */
  state?: string[];
  /** each given --account (repeatable): account ids are taken whole */
  account?: string[];
  /** each given --trigger (repeatable), each a comma-separated list */
  trigger?: string[];
  since?: string;
  format: string;
  limit?: string;
}

function filterOf(options: OutboxListOptions): OutboxFilter {
  const listed = (values: string[] | undefined) => (values ?? []).flatMap((value) => value.split(",")).map((v) => v.trim()).filter((v) => v !== "");
  const states = listed(options.state);
  for (const state of states) if (!OUTBOX_STATES.includes(state as OutboxState)) throw new UsageError(`--state takes ${OUTBOX_STATES.join(", ")} (comma-separated), not ${state}`);
  if (options.since !== undefined && (!/^\d{4}-\d{2}-\d{2}$/.test(options.since) || epochDayOf(options.since) === undefined)) throw new UsageError(`--since takes a date as YYYY-MM-DD, not ${options.since}`);
  const limit = options.limit === undefined ? undefined : Number(options.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new UsageError(`--limit takes a whole number of rows, 1 or more, not ${options.limit}`);
  const triggers = listed(options.trigger);
  const accounts = options.account ?? [];
  return {
    ...(states.length > 0 ? { states: states as OutboxState[] } : {}),
    ...(accounts.length > 0 ? { accounts } : {}),
    ...(triggers.length > 0 ? { triggers } : {}),
    ...(options.since !== undefined ? { since: options.since } : {}),
    ...(limit !== undefined ? { limit } : {}),
  };
}

/** A ledger row as `outbox --format json` shows it: no rendered message bodies, times as ISO 8601. */
function publicRow(row: OutboxRow): Record<string, unknown> {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    key: row.key,
    playbook: row.playbook,
    trigger: row.trigger,
    step: row.step,
    account: row.account_id,
    day: row.day,
    kind: row.kind,
    target: row.target,
    to: row.recipient,
    priority: row.priority,
    transactional: row.transactional === 1,
    category: row.category,
    state: row.state,
    reason: row.reason,
    send_at: iso(row.send_at),
    attempts: row.attempts,
    next_attempt_at: iso(row.next_attempt_at),
    last_error: row.last_error,
    sent_at: iso(row.sent_at),
    message_id: row.message_id,
  };
}

export async function runOutboxList(projectPath: string, options: OutboxListOptions, io: Io): Promise<number> {
  if (options.format !== "table" && options.format !== "json") throw new UsageError(`--format must be table or json, not ${options.format}`);
  const filter = filterOf(options);
  return withProject(projectPath, io, async () => {
    const project = loadProject(projectPath);
    const { rows, matching } = withLedger(project.state, (ledger) => ({ rows: ledger.list(filter), matching: filter.limit === undefined ? undefined : ledger.count(filter) }));
    if (options.format === "json") {
      io.out(JSON.stringify(rows.map(publicRow), null, 2));
      return EXIT.ok;
    }
    if (rows.length === 0) {
      io.out("The outbox has no actions that match.");
      return EXIT.ok;
    }
    // A failed action says when it is tried again (none: it waits for outbox retry).
    const why = (r: OutboxRow) => (r.state === "failed" ? `${r.last_error ?? ""}; ${r.next_attempt_at === null ? "not retried by itself (touchline outbox retry)" : `next attempt ${new Date(r.next_attempt_at).toISOString()}`}` : (r.last_error ?? r.reason ?? ""));
    io.out(renderTable(["day", "playbook", "trigger", "account", "action", "to", "state", "why"], rows.map((r) => [r.day, r.playbook, r.trigger, r.account_id, `${r.kind} ${r.target}`, r.recipient ?? "", r.state, why(r)])));
    const counts = new Map<string, number>();
    for (const row of rows) counts.set(row.state, (counts.get(row.state) ?? 0) + 1);
    const shown = matching !== undefined && matching > rows.length ? ` (the first ${thousands(rows.length)} of ${thousands(matching)} that match: --limit)` : "";
    io.out(`${thousands(rows.length)} actions${shown}: ${[...counts].map(([s, n]) => `${thousands(n)} ${s}`).join(", ")}.`);
    return EXIT.ok;
  });
}

export async function runOutboxDeliver(projectPath: string, options: OutboxListOptions & { now?: string; retry: boolean; progress: boolean }, io: Io): Promise<number> {
  const filter = options.retry ? filterOf(options) : {};
  const now = clockOption(options.now);
  return withProject(projectPath, io, async () => {
    const project = loadProject(projectPath);
    const statePath = project.state;
    if (options.retry) {
      const { count, unprepared } = withLedger(statePath, (ledger) => ({ count: ledger.retry(filter, now()), unprepared: ledger.unprepared(filter) }));
      io.out(`Retrying ${thousands(count)} failed or given-up actions.`);
      if (unprepared > 0) io.out(`${thousands(unprepared)} failed before they could be prepared (a template or an address problem: see \`touchline outbox --state failed\`): fix it, then run their day again with run --send, which prepares them.`);
    }
    const report = await deliverProject(project, statePath, { now, progress: deliveryProgress(io, options.progress) });
    io.out(renderDelivery(report));
    return report.failed + report.dead + report.deferred > 0 ? EXIT.problems : EXIT.ok;
  });
}

/** The project's playbooks, checked and compiled; undefined when one has errors (check reports them). */
function preparedPlaybooks(project: Project): ReturnType<typeof preparePlaybook>[] | undefined {
  try {
    return project.playbooks.map((file) => preparePlaybook(project, file));
  } catch {
    return undefined;
  }
}

/**
 * An account id that the runs so far have not seen: a typo would otherwise
 * suppress nobody, silently. Only a warning: when the state cannot be read,
 * or a playbook whose state it would be, nothing is said.
 */
function accountUnknown(project: Project, playbooks: ReturnType<typeof preparePlaybook>[] | undefined, store: StateStore, accountId: string): boolean {
  if (project.statePerPlaybook && !playbooks) return false;
  try {
    return store.hasSeenAccount(accountId, project.statePerPlaybook ? playbooks!.map((p) => p.plan.name) : undefined) === false;
  } catch {
    return false;
  }
}

export async function runSuppress(projectPath: string, action: string, target: string | undefined, options: { account: boolean; category?: string; reason?: string; now?: string }, io: Io): Promise<number> {
  if (!["add", "remove", "list"].includes(action)) throw new UsageError(`suppress takes add, remove or list, not ${action}`);
  if (action !== "list" && !target) throw new UsageError(`suppress ${action} needs an email address (or an account id with --account)`);
  if (action !== "list" && !options.account && !/^[^\s@]+@[^\s@]+$/.test(target!)) throw new UsageError(`${target} is not an email address; to suppress an account, add --account`);
  const now = clockOption(options.now);
  return withProject(projectPath, io, async () => {
    const project = loadProject(projectPath);
    return withLedger(project.state, (ledger, store) => {
      const kind = options.account ? "account" : "address";
      if (action === "add") {
        const added = ledger.suppress({ kind, value: target!, category: options.category ?? "*", reason: options.reason ?? "added by hand", source: "touchline suppress" }, now());
        const shown = kind === "address" ? target!.trim().toLowerCase() : target!;
        // The playbooks are compiled once, and only when a warning needs them.
        const playbooks = options.category || (kind === "account" && project.statePerPlaybook) ? preparedPlaybooks(project) : undefined;
        const categories = options.category && playbooks ? emailCategories(playbooks) : undefined;
        if (options.category && categories && !categories.includes(options.category)) {
          io.err(`warning: no email template of this project has the category ${options.category} (they have ${categories.join(", ")}): this entry holds nothing back until one does`);
        }
        if (kind === "account" && accountUnknown(project, playbooks, store, target!)) {
          io.err(`warning: no run so far has evaluated an account ${target} (ids are matched exactly, case included): this entry holds nothing back until one does`);
        }
        io.out(added ? `Suppressed ${kind === "account" ? "the account " : ""}${shown}${options.category ? ` for ${options.category} emails` : ""}.` : `${shown} was already suppressed.`);
      } else if (action === "remove") {
        const removed = ledger.unsuppress(kind, target!, options.category);
        io.out(removed > 0 ? `Removed ${target} from the suppression list.` : `${target} was not on the suppression list.`);
      } else {
        const rows = ledger.suppressions();
        if (rows.length === 0) io.out("The suppression list is empty.");
        else io.out(renderTable(["kind", "value", "category", "reason", "source", "since"], rows.map((r) => [r.kind, r.value, r.category === "*" ? "everything" : r.category, r.reason, r.source, new Date(r.created_at).toISOString().slice(0, 10)])));
      }
      return EXIT.ok;
    });
  });
}

/** The secret the project's unsubscribe links are signed with: without one no link can be checked, so nothing that applies links may start. */
function unsubscribeSecret(project: Project): string {
  const secret = loadDeliverySettings(project).unsubscribeSecret;
  if (!secret) throw new SettingsError("no unsubscribe secret is set (TOUCHLINE_UNSUBSCRIBE_SECRET, or unsubscribe_secret in the delivery settings file), so no unsubscribe link can be checked; set the one the links were signed with");
  return secret;
}

/** Applies an unsubscribe token: its address stops getting its category of email. Returns what to say. */
function applyToken(project: Project, secret: string, token: string, now: number): { ok: boolean; message: string } {
  const claim = verifyUnsubscribeToken(token, secret);
  if ("refused" in claim) return { ok: false, message: `refused: ${claim.refused}` };
  withLedger(project.state, (ledger) => ledger.suppress({ kind: "address", value: claim.address, category: claim.category, reason: `unsubscribed from ${claim.category} (account ${claim.account})`, source: "unsubscribe link" }, now));
  return { ok: true, message: `${claim.address} is unsubscribed from ${claim.category} emails.` };
}

export async function runUnsubscribe(projectPath: string, token: string, options: { now?: string }, io: Io): Promise<number> {
  const now = clockOption(options.now);
  return withProject(projectPath, io, async () => {
    const project = loadProject(projectPath);
    const result = applyToken(project, unsubscribeSecret(project), token, now());
    (result.ok ? io.out : io.err)(result.ok ? result.message : `touchline: ${result.message}`);
    return result.ok ? EXIT.ok : EXIT.problems;
  });
}

/**
 * A tiny HTTP endpoint for unsubscribe links: GET shows a confirmation
 * button (mail scanners follow links, so a GET changes nothing), POST
 * applies the token (the RFC 8058 one-click POST does too).
 */
export async function runServeUnsubscribe(projectPath: string, options: { port: string; host: string }, io: Io): Promise<number> {
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port takes a port number, not ${options.port}`);
  return withProject(projectPath, io, async () => {
    const project = loadProject(projectPath);
    // Refused before listening: an endpoint without the secret would turn every customer's unsubscribe away.
    const secret = unsubscribeSecret(project);
    const server = createServer((request, response) => {
      const url = new URL(request.url ?? "/", "http://localhost");
      const token = url.searchParams.get("token") ?? "";
      const page = (status: number, body: string) => {
        response.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
        response.end(`<!doctype html><meta charset="utf-8"><title>Unsubscribe</title><body style="font-family:sans-serif;max-width:32em;margin:3em auto">${body}</body>`);
      };
      if (request.method === "GET") {
        // A link that was changed is said to be so at once; a valid one only asks (mail scanners follow links).
        if ("refused" in verifyUnsubscribeToken(token, secret)) page(400, "<p>This link is not valid.</p>");
        else page(200, `<p>Stop getting these emails?</p><form method="post"><input type="hidden" name="token" value="${escapeAttribute(token)}"><button>Unsubscribe</button></form>`);
        return;
      }
      if (request.method !== "POST") {
        page(405, "<p>Method not allowed.</p>");
        return;
      }
      let body = "";
      request.on("data", (chunk: Buffer) => {
        body += chunk.toString("utf8");
        if (body.length > 16_384) request.destroy();
      });
      request.on("end", () => {
        const posted = new URLSearchParams(body).get("token") ?? token;
        const result = applyToken(project, secret, posted, Date.now());
        page(result.ok ? 200 : 400, `<p>${escapeAttribute(result.ok ? "You are unsubscribed." : "This link is not valid.")}</p>`);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", (error: NodeJS.ErrnoException) =>
        reject(new SettingsError(error.code === "EADDRINUSE" ? `port ${port} on ${options.host} is already in use: choose another with --port` : `cannot listen on ${options.host}:${port} (${error.code ?? error.message})`)),
      );
      server.listen(port, options.host, resolve);
    });
    const address = server.address();
    io.out(`Unsubscribe endpoint listening on http://${options.host}:${typeof address === "object" && address ? address.port : port}/ (Ctrl-C to stop)`);
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    server.close();
    return EXIT.ok;
  });
}

/** The categories of the email templates of the project's playbooks, the default one included. */
function emailCategories(playbooks: readonly ReturnType<typeof preparePlaybook>[]): string[] {
  const categories = new Set<string>([DEFAULT_CATEGORY]);
  for (const { checked } of playbooks) for (const template of Object.values(checked.model.templates ?? {})) if (template?.category) categories.add(template.category);
  return [...categories].sort();
}

function escapeAttribute(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

