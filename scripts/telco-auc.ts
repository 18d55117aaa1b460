import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse/sync";
import { run } from "../src/index.js";
import { loadProject } from "../src/run/project.js";
import { rateByDecile, rocAuc } from "../src/simulate/backtest.js";

/**
 * How well the telco playbook's health score separates the customers IBM's
 * Telco sample marks as churned (one snapshot, no dates: a label, not a
 * history, so this is a cross-section, not a backtest). Evaluates the
 * project as `touchline run` does and compares each score with the label.
 *
 *   node dist/scripts/telco-auc.js [project folder]
 */
const folder = process.argv[2] ?? fileURLToPath(new URL("../../examples/telco", import.meta.url));
const project = loadProject(folder);
const scratch = mkdtempSync(join(tmpdir(), "touchline-telco-"));
try {
  const out = join(scratch, "decisions.jsonl");
  await run(project, { asOf: "2020-06-25", useState: false, out: [out] });
  const labelColumn = Object.entries(project.accounts.columns).find(([field]) => field === "churned")?.[1] ?? "churned";
  const rows = parse(readFileSync(project.accounts.file, "utf8"), { columns: true }) as Record<string, string>[];
  const churned = new Map(rows.map((r) => [r[project.accounts.id]!, r[labelColumn] === "Yes"]));
  const decisions = readFileSync(out, "utf8").trim().split("\n").map((line) => JSON.parse(line) as { account: string; health: { score: number | null; status: string | null } });
  const scored = decisions.filter((d) => d.health.score !== null);
  const label = scored.map((d) => churned.get(d.account) === true);
  const auc = rocAuc(scored.map((d) => -d.health.score!), label);
  console.log(`${scored.length} customers scored; ${label.filter(Boolean).length} churned (${((label.filter(Boolean).length * 100) / label.length).toFixed(1)}%)`);
  console.log(`health score ROC AUC against the churn label: ${auc?.toFixed(3) ?? "-"}`);
  for (const status of ["red", "yellow", "green"]) {
    const group = scored.filter((d) => d.health.status === status);
    const rate = group.filter((d) => churned.get(d.account)).length / group.length;
    console.log(`  ${status}: ${group.length} customers, ${(rate * 100).toFixed(1)}% churned`);
  }
  console.log("churn by health-score decile (1 = lowest scores):");
  for (const row of rateByDecile(scored.map((d) => d.health.score!), label)) console.log(`  ${String(row.decile).padStart(2)}  scores ${row.minScore.toFixed(0)}-${row.maxScore.toFixed(0)}  ${row.count} customers  ${(row.rate * 100).toFixed(1)}% churned`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
