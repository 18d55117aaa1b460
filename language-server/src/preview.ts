import { existsSync, statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { loadProject, type Project } from "../../src/run/project.js";
import type { CodeLens } from "vscode-languageserver/node";
import { epochDayOf } from "../../src/expression/literals.js";
import { compilePlaybook } from "../../src/engine/compile.js";
import type { CompiledPlaybook } from "../../src/engine/compiled.js";
import { evaluateAccount } from "../../src/engine/evaluate.js";
import type { CheckedPlaybook } from "../../src/language/check/index.js";
import { DataEngine } from "../../src/data/duckdb.js";
import { ProjectData } from "../../src/data/reader.js";
import { Rejections } from "../../src/data/rejects.js";
import type { InputFormat } from "../../src/data/sources.js";
import type { Ranges } from "./features.js";

export interface PreviewSettings {
  /** a CSV, JSON Lines or JSON file of sample accounts, or a project (its folder or touchline.yaml): its accounts and events, read as `run` reads them */
  sampleData?: string;
  /** the day to evaluate them for; today when left out */
  sampleAsOf?: string;
  /** the column with the account id */
  idField?: string;
  /** usage events of the sample accounts (account_id, timestamp, type, properties), for the metrics that count them */
  sampleEvents?: string;
}

function formatOf(path: string): InputFormat {
  return /\.csv$/i.test(path) ? "csv" : /\.json$/i.test(path) ? "json" : /\.parquet$/i.test(path) ? "parquet" : "jsonl";
}

/** Editors ask for code lenses often; a version of a playbook is compiled once. */
const plans = new WeakMap<CheckedPlaybook, CompiledPlaybook>();

/**
 * The live preview: how many sample accounts each trigger and each tier
 * matches now, evaluated by the engine itself on the configured sample.
 */
export async function previewLenses(checked: CheckedPlaybook, file: string, settings: PreviewSettings, root: string | undefined, ranges: Ranges, today: string): Promise<CodeLens[]> {
  if (!settings.sampleData || checked.diagnostics.some((d) => d.severity === "error")) return [];
  const locate = (file: string) => (isAbsolute(file) ? file : resolve(root ?? ".", file));
  const path = locate(settings.sampleData);
  let plan = plans.get(checked);
  if (!plan) {
    plan = compilePlaybook(checked);
    plans.set(checked, plan);
  }
  const day = epochDayOf(settings.sampleAsOf ?? today) ?? epochDayOf(today)!;
  // A project: the very inputs `run` reads, events included, so the counts are the run's.
  let project: Project | undefined;
  try {
    project = existsSync(path) && (statSync(path).isDirectory() || /(^|[\\/])touchline\.ya?ml$/.test(path)) ? loadProject(path) : undefined;
  } catch {
    return [];
  }
  const idField = project?.idField ?? settings.idField ?? "account_id";
  const triggerCounts = new Map<string, number>();
  const tierCounts = new Map<string, number>();
  let total = 0;
  let engine: DataEngine | undefined;
  try {
    engine = await DataEngine.open({ threads: 1 });
    const events = project ? project.events : settings.sampleEvents ? [{ file: locate(settings.sampleEvents), format: formatOf(settings.sampleEvents), id: idField, lookup: undefined, type: undefined, typeColumn: "type", timestamp: "timestamp", properties: {} }] : [];
    const accounts = project ? project.accounts : { file: path, format: formatOf(path), id: idField, columns: {}, values: {}, joins: [] };
    const data = await ProjectData.open(engine, { accounts, events, timezone: project?.timezone ?? "UTC" }, plan, checked.environment.eventTypes, { day, rejections: new Rejections(), strict: false });
    for await (const batch of data.batches()) {
      for (const row of batch) {
        total++;
        const { decision } = evaluateAccount(plan, { id: row.id, fields: row.fields, clock: row.clock, aggregates: row.aggregates, previous: undefined, overrides: [], explain: true });
        for (const t of decision.triggers) if (t.inScope && t.condition) triggerCounts.set(t.name, (triggerCounts.get(t.name) ?? 0) + 1);
        const tier = decision.tier?.computed;
        if (tier) tierCounts.set(tier, (tierCounts.get(tier) ?? 0) + 1);
      }
      if (total >= 50_000) break;
    }
  } catch {
    return [];
  } finally {
    engine?.close();
  }
  const lenses: CodeLens[] = [];
  for (const definition of checked.symbols.definitions) {
    if (definition.file !== file) continue;
    const counts = definition.kind === "trigger" ? triggerCounts : definition.kind === "tier" ? tierCounts : undefined;
    if (!counts) continue;
    const count = counts.get(definition.name) ?? 0;
    const what = definition.kind === "trigger" ? "match its condition" : "are in this tier";
    // Counts without the events the playbook reads would mislead: say so on the lens itself.
    const lacking = plan.aggregates.length > 0 && (project ? project.events.length === 0 : !settings.sampleEvents) ? ` (usage events not loaded: ${project ? "the project names no events" : "set sampleEvents, or point sampleData at a project"})` : "";
    lenses.push({ range: ranges.range(file, definition.nameSpan), command: { title: `${count} of ${total} sample accounts ${what} now${lacking}`, command: "" } });
  }
  return lenses;
}
