import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import nodemailer from "nodemailer";
import { deliverDue } from "../src/actions/deliver.js";
import { mailOptions, smtpTransportOptions } from "../src/actions/channels/email.js";
import { OutboxLedger, type NewOutboxRow } from "../src/actions/ledger.js";
import type { EmailPayload } from "../src/actions/plan.js";
import type { DeliverySettings } from "../src/actions/settings.js";
import { StateStore } from "../src/run/state-store.js";
import { nowMs, summarize } from "./stats.js";

/**
 * Delivery benchmark: 10,000 emails to a local SMTP server (its own
 * process), through the outbox ledger (recorded in the state file in one
 * transaction as a run does, then claimed, sent and recorded one by one)
 * against sending the same messages with the same nodemailer transport and
 * no ledger. Alternated, several rounds.
 *
 *   node dist/bench/send.js [--messages=10000] [--rounds=5]
 *
 * Each round runs each contender in a fresh process (as a real `run --send`
 * is one), timing its work from inside: the same messages, the same SMTP
 * server, the same nodemailer transport options; only the ledger differs.
 */
const root = fileURLToPath(new URL("../../", import.meta.url));
const count = Number(process.argv.find((a) => a.startsWith("--messages="))?.slice(11) ?? 10_000);
const rounds = Number(process.argv.find((a) => a.startsWith("--rounds="))?.slice(9) ?? 5);
const FROM = "Vendor CS <cs@vendor.example>";

const worker = process.argv.find((a) => a.startsWith("--worker="))?.slice(9);
const workerPort = Number(process.argv.find((a) => a.startsWith("--port="))?.slice(7) ?? 0);
const messages: { key: string; payload: EmailPayload }[] = Array.from({ length: count }, (_, i) => {
  const name = `Customer ${i + 1}`;
  const unsubscribe = `https://vendor.example/unsubscribe?token=${Buffer.from(`token-${i}`).toString("base64url")}.${"s".repeat(43)}`;
  const text = `Hi ${name},\n\nYour team uses ${i % 40} of 40 seats. Three things customers like you set up first:\n\n1. Invite your team from Settings > Members.\n2. Connect your calendar so reports arrive every Monday.\n3. Join our weekly onboarding webinar.\n\nReply to this email if you would like a hand.\n\n--\nUnsubscribe: ${unsubscribe}\n`;
  return {
    key: `tech-touch/adoption_nudge/0/email:adoption-tips/A${i}/2026-03-02`,
    payload: { to: `admin${i}@customer${i}.example`, subject: `Three ways to get more out of your seats, ${name}`, text, html: `<p>${text.replace(/\n\n/g, "</p><p>")}</p>`, unsubscribe },
  };
});

const settings: DeliverySettings = { smtp: { host: "127.0.0.1", port: workerPort, secure: false, user: undefined, password: undefined }, from: FROM, unsubscribeSecret: "x".repeat(32), unsubscribeUrl: "https://vendor.example/unsubscribe", webhookSecret: undefined, secrets: [] };
const open = { quietFrom: undefined, quietTo: undefined, businessDaysOnly: false };

async function throughLedger(): Promise<number> {
  const dir = mkdtempSync(join(process.env.TOUCHLINE_BENCH_TMP ?? tmpdir(), "touchline-send-bench-"));
  const start = nowMs();
  const store = StateStore.forWriting(join(dir, "state.db"));
  const ledger = new OutboxLedger(store.database);
  const now = Date.now();
  store.database.transaction(() => {
    for (const { key, payload } of messages) {
      const row: NewOutboxRow = { key, playbook: "tech-touch", trigger: "adoption_nudge", step: 0, account_id: key.split("/")[4]!, day: "2026-03-02", kind: "email", target: "adoption-tips", recipient: payload.to, priority: 0, transactional: 0, category: "tech-touch", zone: "UTC", payload: JSON.stringify(payload), state: "planned", reason: null, send_at: now - 1000, last_error: null };
      ledger.record(row, now);
    }
  })();
  const recorded = nowMs();
  const report = await deliverDue(ledger, settings, { now: Date.now, rules: new Map([["tech-touch", { delivery: open, caps: [] }]]), holidays: [], rate: undefined, maxAttempts: 5, timeoutMs: 10_000, tasks: join(dir, "tasks.jsonl"), journalFolder: join(dir, "state.db.journal") });
  store.close();
  const seconds = (nowMs() - start) / 1000;
  if (process.env.BENCH_PHASES) console.log(`    recording ${((recorded - start) / 1000).toFixed(2)} s, delivery ${((nowMs() - recorded) / 1000).toFixed(2)} s`);
  rmSync(dir, { recursive: true, force: true });
  if (report.delivered.email !== messages.length) throw new Error(`the ledger delivered ${report.delivered.email} of ${count}`);
  return seconds;
}

async function plainNodemailer(): Promise<number> {
  const start = nowMs();
  // The same transport, set up exactly as Touchline's email channel sets it up: only the ledger differs.
  const transport = nodemailer.createTransport(smtpTransportOptions(settings, 10_000));
  // And the very message that channel sends (mailOptions).
  for (const { key, payload } of messages) await transport.sendMail(mailOptions(payload, key, FROM));
  transport.close();
  return (nowMs() - start) / 1000;
}

if (worker) {
  const seconds = worker === "ledger" ? await throughLedger() : await plainNodemailer();
  console.log(JSON.stringify({ seconds }));
  process.exit(0);
}

const sink = spawn("node", [join(root, "dist/bench/smtp-sink.js")], { stdio: ["pipe", "pipe", "inherit"] });
const lines = createInterface({ input: sink.stdout! })[Symbol.asyncIterator]();
const next = async () => JSON.parse(((await lines.next()).value as string) ?? "{}") as { port?: number; count?: number };
const port = (await next()).port!;
const received = async () => {
  sink.stdin!.write("\n");
  return (await next()).count!;
};
const run = (which: string): number => {
  const result = spawnSync("node", [join(root, "dist/bench/send.js"), `--worker=${which}`, `--port=${port}`, `--messages=${count}`], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${which} failed:\n${result.stderr}`);
  return (JSON.parse(result.stdout.trim().split("\n").pop()!) as { seconds: number }).seconds;
};

const fmt = (n: number) => n.toLocaleString("en-US");
console.log(`Delivery: ${fmt(count)} emails to a local SMTP server (another process), ${rounds} rounds alternated, each contender in a fresh process`);
const ours: number[] = [];
const theirs: number[] = [];
for (let round = 0; round < rounds; round++) {
  const before = await received();
  if (round % 2 === 0) {
    ours.push(run("ledger"));
    theirs.push(run("plain"));
  } else {
    theirs.push(run("plain"));
    ours.push(run("ledger"));
  }
  if ((await received()) - before !== 2 * count) throw new Error("the SMTP server did not receive every message");
}
sink.kill();
const o = summarize(ours);
const t = summarize(theirs);
const s = (x: number) => `${x.toFixed(2)} s`;
const overhead = ours.map((x, i) => (x - theirs[i]!) / theirs[i]!);
console.log(`  outbox ledger + nodemailer: ${s(o.min)} / ${s(o.median)} / ${s(o.max)} (min / median / max) = ${fmt(Math.round(count / o.median))} messages/s (recording the actions in the ledger included)`);
console.log(`  nodemailer alone:           ${s(t.min)} / ${s(t.median)} / ${s(t.max)} = ${fmt(Math.round(count / t.median))} messages/s`);
console.log(`  ledger overhead per action: ${(((o.median - t.median) / count) * 1e6).toFixed(0)} µs (median); share of delivery time per round: ${overhead.map((x) => `${(x * 100).toFixed(1)}%`).join(", ")}; median ${(summarize(overhead).median * 100).toFixed(1)}% (target under 10%)`);
