import { isAbsolute, resolve } from "node:path";
import type { CodeLens } from "vscode-languageserver/node";
import { epochDayOf } from "../../src/expression/literals.js";
import { Calendars } from "../../src/engine/clock.js";
import { compilePlaybook } from "../../src/engine/compile.js";
import type { CompiledPlaybook } from "../../src/engine/compiled.js";
import { evaluateAccount } from "../../src/engine/evaluate.js";
import type { CheckedPlaybook } from "../../src/language/check/index.js";
import { readRecords } from "../../src/run/records.js";
import { RowValidator } from "../../src/run/rows.js";
import type { Ranges } from "./features.js";

export interface PreviewSettings {
  /** a CSV, JSON Lines or JSON file of sample accounts */
  sampleData?: string;
  /** the day to evaluate them for; today when left out */
  sampleAsOf?: string;
  /** the column with the account id */
  idField?: string;
}

/** Editors ask for code lenses often; a version of a playbook is compiled once. */
const plans = new WeakMap<CheckedPlaybook, CompiledPlaybook>();

/**
 * The live preview: how many sample accounts each trigger and each tier
 * matches now, evaluated by the engine itself on the configured sample.
 */
export async function previewLenses(checked: CheckedPlaybook, file: string, settings: PreviewSettings, root: string | undefined, ranges: Ranges, today: string): Promise<CodeLens[]> {
  if (!settings.sampleData || checked.diagnostics.some((d) => d.severity === "error")) return [];
  const path = isAbsolute(settings.sampleData) ? settings.sampleData : resolve(root ?? ".", settings.sampleData);
  const format = /\.csv$/i.test(path) ? "csv" : /\.json$/i.test(path) ? "json" : "jsonl";
  let plan = plans.get(checked);
  if (!plan) {
    plan = compilePlaybook(checked);
    plans.set(checked, plan);
  }
  const validator = new RowValidator(plan.fields, settings.idField ?? "account_id");
  const day = epochDayOf(settings.sampleAsOf ?? today) ?? epochDayOf(today)!;
  const calendars = new Calendars(day);
  const triggerCounts = new Map<string, number>();
  const tierCounts = new Map<string, number>();
  let total = 0;
  try {
    for await (const record of readRecords({ file: path, format })) {
      if (record.error) continue;
      const row = validator.check(path, record.line, record.values, format === "csv");
      if (!row.ok) continue;
      total++;
      const zone = plan.timezoneField ? String(row.values[plan.timezoneField] ?? "UTC") : "UTC";
      const { decision } = evaluateAccount(plan, { id: row.id, fields: row.values, clock: calendars.clock(zone), events: undefined, previous: undefined, overrides: [], explain: true });
      for (const t of decision.triggers) if (t.inScope && t.condition) triggerCounts.set(t.name, (triggerCounts.get(t.name) ?? 0) + 1);
      const tier = decision.tier?.computed;
      if (tier) tierCounts.set(tier, (tierCounts.get(tier) ?? 0) + 1);
      if (total >= 50_000) break;
    }
  } catch {
    return [];
  }
  const lenses: CodeLens[] = [];
  for (const definition of checked.symbols.definitions) {
    if (definition.file !== file) continue;
    const counts = definition.kind === "trigger" ? triggerCounts : definition.kind === "tier" ? tierCounts : undefined;
    if (!counts) continue;
    const count = counts.get(definition.name) ?? 0;
    const what = definition.kind === "trigger" ? "match its condition" : "are in this tier";
    lenses.push({ range: ranges.range(file, definition.nameSpan), command: { title: `${count} of ${total} sample accounts ${what} now`, command: "" } });
  }
  return lenses;
}
