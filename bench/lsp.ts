import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LspClient } from "../test/helpers/lsp-client.js";
import { generatePlaybook } from "./generate.js";
import { nowMs, summarize, type Summary } from "./stats.js";

/**
 * Editor latency on a 2,000-line playbook, through a real client talking to
 * `touchline lsp --stdio`: diagnostics after an edit, completion, and a burst
 * of typing. Three rounds, each with a fresh server process.
 */
const quick = process.argv.includes("--quick");
const root = fileURLToPath(new URL("../../", import.meta.url));
const text = generatePlaybook(2000);
const lines = text.split("\n");
const uri = LspClient.uri(join(root, "bench-generated.play"));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Edit the window of one metric (`2d` -> `3d` ...): each edit is a new, valid version to check.
const target = lines.findIndex((line) => line.startsWith("  metric m1 ="));
const numberAt = lines[target]!.search(/\dd\)/);
if (numberAt < 0) throw new Error(`the generated playbook has no window to edit in: ${lines[target]}`);
const windowEdit = (n: number) => [{ range: { start: { line: target, character: numberAt }, end: { line: target, character: numberAt + 1 } }, text: String((n % 8) + 1) }];
const triggerLine = lines.findIndex((line) => line.includes("when s") && line.includes("health.score"));
const completionAt = { textDocument: { uri }, position: { line: triggerLine, character: 9 } };

interface Round {
  diagnostics: number[];
  completion: number[];
  completionAfterEdit: number[];
  burst: number[];
}

async function round(samples: number): Promise<Round> {
  const client = new LspClient();
  await client.initialize(root);
  await client.open(uri, text);
  const result: Round = { diagnostics: [], completion: [], completionAfterEdit: [], burst: [] };
  // Edits 200 ms apart, an author's pace between changes (fast typing is the burst below); the first 5 warm up.
  for (let i = 0; i < samples + 5; i++) {
    const start = nowMs();
    await client.change(uri, windowEdit(i));
    if (i >= 5) result.diagnostics.push(nowMs() - start);
    await sleep(200);
  }
  for (let i = 0; i < samples + 5; i++) {
    const start = nowMs();
    await client.request("textDocument/completion", completionAt);
    if (i >= 5) result.completion.push(nowMs() - start);
  }
  // Completion right after an edit, while the new version waits to be checked.
  for (let i = 0; i < samples; i++) {
    void client.connection.sendNotification("textDocument/didChange", { textDocument: { uri, version: 1000 + i }, contentChanges: windowEdit(i) });
    const start = nowMs();
    await client.request("textDocument/completion", completionAt);
    result.completionAfterEdit.push(nowMs() - start);
    await sleep(100);
  }
  // A burst of typing: 30 keystrokes 60 ms apart; how long after the last one its diagnostics arrive.
  let version = 5000;
  for (let k = 0; k < 30; k++) {
    version++;
    const arrived = k === 29 ? client.diagnosticsFor(uri, version) : undefined;
    void client.connection.sendNotification("textDocument/didChange", { textDocument: { uri, version }, contentChanges: windowEdit(k) });
    if (arrived) {
      const start = nowMs();
      await arrived;
      result.burst.push(nowMs() - start);
    } else await sleep(60);
  }
  await client.shutdown();
  return result;
}

const rounds: Round[] = [];
for (let r = 0; r < (quick ? 1 : 3); r++) rounds.push(await round(quick ? 20 : 40));
const all = (key: keyof Round) => summarize(rounds.flatMap((r) => r[key]));
const perRound = (key: keyof Round, pick: (s: Summary) => number) => rounds.map((r) => pick(summarize(r[key])).toFixed(1)).join(" / ");
const d = all("diagnostics");
const c = all("completion");
const e = all("completionAfterEdit");
const b = all("burst");
const ms = (value: number) => `${value.toFixed(1).padStart(6)} ms`;
console.log(`Language server on a ${lines.length}-line playbook, over stdio with a protocol client (${rounds.length} round(s), a fresh server each):`);
console.log(`  diagnostics after an edit     median ${ms(d.median)}   p95 ${ms(d.p95)}   (p95 per round: ${perRound("diagnostics", (s) => s.p95)}; target under 100 ms)`);
console.log(`  completion                    median ${ms(c.median)}   p95 ${ms(c.p95)}`);
console.log(`  completion right after edit   median ${ms(e.median)}   p95 ${ms(e.p95)}   (target under 50 ms)`);
console.log(`  30 keystrokes 60 ms apart, diagnostics of the last after it: min ${b.min.toFixed(1)} / median ${b.median.toFixed(1)} / max ${b.max.toFixed(1)} ms (target within 150 ms)`);
mkdirSync(join(root, "bench/results"), { recursive: true });
writeFileSync(join(root, "bench/results/lsp-latest.json"), `${JSON.stringify({ date: new Date().toISOString(), lines: lines.length, rounds: rounds.length, diagnostics: d, completion: c, completionAfterEdit: e, burst: b }, null, 2)}\n`);
