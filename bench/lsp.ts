import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LspClient } from "../test/helpers/lsp-client.js";
import { generatePlaybook } from "./generate.js";
import { nowMs, summarize } from "./stats.js";

/**
 * Editor latency on a 2,000-line playbook, through a real client talking to
 * `touchline lsp --stdio`: diagnostics after an edit, and completion.
 */
const quick = process.argv.includes("--quick");
const root = fileURLToPath(new URL("../../", import.meta.url));
const text = generatePlaybook(2000);
const lines = text.split("\n");
const client = new LspClient();
await client.initialize(root);
const uri = LspClient.uri(join(root, "bench-generated.play"));
await client.open(uri, text);

// Edit the number in one metric line back and forth: each edit is a new version to check. The edits
// come 200 ms apart, an author's pace between changes; fast typing is the burst measured below.
const target = lines.findIndex((line) => line.startsWith("  metric m1 ="));
// The digit of the metric's window (`2d`): replacing it keeps the playbook valid, as a typed fix would.
const numberAt = lines[target]!.search(/\dd\)/);
if (numberAt < 0) throw new Error(`the generated playbook has no window to edit in: ${lines[target]}`);
const runs = quick ? 20 : 60;
const diagnosticsTimes: number[] = [];
for (let i = 0; i < runs + 5; i++) {
  const start = nowMs();
  await client.change(uri, [{ range: { start: { line: target, character: numberAt }, end: { line: target, character: numberAt + 1 } }, text: String((i % 8) + 1) }]);
  if (i >= 5) diagnosticsTimes.push(nowMs() - start);
  await new Promise((resolve) => setTimeout(resolve, 200));
}
const triggerLine = lines.findIndex((line) => line.includes("when s") && line.includes("health.score"));
const completionTimes: number[] = [];
for (let i = 0; i < runs + 5; i++) {
  const start = nowMs();
  await client.request("textDocument/completion", { textDocument: { uri }, position: { line: triggerLine, character: 9 } });
  if (i >= 5) completionTimes.push(nowMs() - start);
}
// Completion right after an edit includes checking the new version.
const editThenComplete: number[] = [];
for (let i = 0; i < runs; i++) {
  void client.connection.sendNotification("textDocument/didChange", { textDocument: { uri, version: 1000 + i }, contentChanges: [{ range: { start: { line: target, character: numberAt }, end: { line: target, character: numberAt + 1 } }, text: String((i % 8) + 1) }] });
  const start = nowMs();
  await client.request("textDocument/completion", { textDocument: { uri }, position: { line: triggerLine, character: 9 } });
  editThenComplete.push(nowMs() - start);
}
// A burst of typing: 30 keystrokes 60 ms apart; how long after the last one its diagnostics arrive (3 rounds).
const burstLags: number[] = [];
for (let round = 0; round < 3; round++) {
  let version = 5000 + round * 100;
  for (let k = 0; k < 30; k++) {
    version++;
    const arrived = k === 29 ? client.diagnosticsFor(uri, version) : undefined;
    void client.connection.sendNotification("textDocument/didChange", { textDocument: { uri, version }, contentChanges: [{ range: { start: { line: target, character: numberAt }, end: { line: target, character: numberAt + 1 } }, text: String((k % 8) + 1) }] });
    if (arrived) {
      const start = nowMs();
      await arrived;
      burstLags.push(nowMs() - start);
    } else await new Promise((resolve) => setTimeout(resolve, 60));
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
}
await client.shutdown();

const d = summarize(diagnosticsTimes);
const c = summarize(completionTimes);
const e = summarize(editThenComplete);
console.log(`Language server on a ${lines.length}-line playbook, over stdio with a protocol client (${runs} samples each):`);
console.log(`  diagnostics after an edit     median ${d.median.toFixed(1).padStart(6)} ms   p95 ${d.p95.toFixed(1).padStart(6)} ms`);
console.log(`  completion                    median ${c.median.toFixed(1).padStart(6)} ms   p95 ${c.p95.toFixed(1).padStart(6)} ms`);
console.log(`  completion right after edit   median ${e.median.toFixed(1).padStart(6)} ms   p95 ${e.p95.toFixed(1).padStart(6)} ms`);
const b = summarize(burstLags);
console.log(`  30 keystrokes 60 ms apart: diagnostics of the last, after it: min ${b.min.toFixed(1)} / median ${b.median.toFixed(1)} / max ${b.max.toFixed(1)} ms (3 rounds; target within 150 ms)`);
mkdirSync(join(root, "bench/results"), { recursive: true });
writeFileSync(join(root, "bench/results/lsp-latest.json"), `${JSON.stringify({ date: new Date().toISOString(), lines: lines.length, diagnostics: d, completion: c, completionAfterEdit: e, burst: b }, null, 2)}\n`);
