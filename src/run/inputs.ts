import { epochDayOf, epochMsOf } from "../expression/literals.js";
import { parseTypeText } from "../expression/types.js";
import type { Value } from "../expression/value.js";
import { EventStore } from "../engine/events.js";
import type { ManualOverride } from "../engine/overrides.js";
import type { Playbook } from "../model/playbook.js";
import { fieldSpec } from "../model/resolve.js";
import { readRecords } from "./records.js";
import { NUMBER, type RowProblem } from "./rows.js";
import type { SourceSpec } from "./project.js";


/**
 * Reads usage events (account id, timestamp, type, properties) into an
 * EventStore. Bad rows are reported and skipped; the rest are kept.
 */
export async function readEvents(source: SourceSpec, idField: string, playbook: Playbook, problems: RowProblem[]): Promise<EventStore> {
  const store = new EventStore();
  const declared = playbook.events;
  const numeric = new Map<string, Set<string>>();
  for (const [type, spec] of Object.entries(declared ?? {})) {
    const names = Object.entries(spec?.properties ?? {}).filter(([, entry]) => {
      const t = parseTypeText(fieldSpec(entry).type);
      return t !== undefined && ["int", "number", "money", "percent"].includes(t.name);
    });
    numeric.set(type, new Set(names.map(([name]) => name)));
  }
  const fromText = source.format === "csv";
  const reserved = new Set([idField, "timestamp", "at", "type"]);
  for await (const record of readRecords(source)) {
    const report = (field: string | undefined, message: string) => problems.push({ file: source.file, line: record.line, field, message });
    if (record.error) {
      report(undefined, record.error);
      continue;
    }
    const values = record.values;
    const accountId = values[idField];
    const type = values.type;
    const when = values.timestamp ?? values.at;
    if (accountId === undefined || accountId === null || String(accountId) === "") {
      report(idField, `has no account id (column ${idField})`);
      continue;
    }
    if (typeof type !== "string" || type === "") {
      report("type", "has no event type");
      continue;
    }
    const at = typeof when === "number" ? when : typeof when === "string" ? (epochMsOf(when.trim()) ?? epochDayOfMs(when.trim())) : undefined;
    if (at === undefined) {
      report("timestamp", `expected a date and time (ISO 8601), got ${JSON.stringify(when)}`);
      continue;
    }
    if (declared && !Object.hasOwn(declared, type)) {
      report("type", `event type "${type}" is not declared in the playbook's events; it is ignored`);
      continue;
    }
    const properties: Record<string, Value> = {};
    for (const [key, value] of Object.entries(values)) {
      if (reserved.has(key)) continue;
      if (fromText && typeof value === "string") {
        properties[key] = value === "" ? null : numeric.get(type)?.has(key) && NUMBER.test(value.trim()) ? Number(value) : value;
      } else {
        properties[key] = (value ?? null) as Value;
      }
    }
    store.add({ accountId: String(accountId), at, type, properties });
  }
  store.seal();
  return store;
}

function epochDayOfMs(text: string): number | undefined {
  const day = epochDayOf(text);
  return day === undefined ? undefined : day * 86_400_000;
}

/**
 * Reads manual overrides (account, target, value, reason, owner, expires).
 * Each must name a target the playbook allows, a reason, an owner and an expiry.
 */
export async function readOverrides(file: string, idField: string, allowed: ReadonlySet<string>, maxDays: number | undefined, problems: RowProblem[]): Promise<Map<string, ManualOverride[]>> {
  const byAccount = new Map<string, ManualOverride[]>();
  const format = /\.csv$/i.test(file) ? "csv" : /\.json$/i.test(file) ? "json" : "jsonl";
  for await (const record of readRecords({ file, format })) {
    const report = (field: string | undefined, message: string) => problems.push({ file, line: record.line, field, message });
    if (record.error) {
      report(undefined, record.error);
      continue;
    }
    const v = record.values;
    const accountId = v[idField] ?? v.account;
    const target = String(v.target ?? "");
    const missing = ["reason", "owner", "expires"].filter((key) => v[key] === undefined || v[key] === null || String(v[key]).trim() === "");
    if (accountId === undefined || String(accountId) === "") {
      report(idField, "names no account");
      continue;
    }
    if (!allowed.has(target)) {
      report("target", `\`${target}\` may not be overridden by hand; the playbook allows ${[...allowed].map((a) => `\`${a}\``).join(", ") || "no overrides"}`);
      continue;
    }
    if (missing.length > 0) {
      report(missing[0], `an override needs a reason, an owner and an expiry date; ${missing.join(", ")} missing`);
      continue;
    }
    const expires = epochDayOf(String(v.expires).trim());
    if (expires === undefined) {
      report("expires", `expected a date as YYYY-MM-DD, got ${JSON.stringify(v.expires)}`);
      continue;
    }
    const created = v.created === undefined ? undefined : epochDayOf(String(v.created).trim());
    if (maxDays !== undefined && created !== undefined && expires - created > maxDays) {
      report("expires", `lasts ${expires - created} days; the playbook allows overrides of at most ${maxDays} days`);
      continue;
    }
    const raw = v.value;
    const value: Value = target.startsWith("health.") && target !== "health.status" ? Number(raw) : String(raw);
    if (typeof value === "number" && (Number.isNaN(value) || value < 0 || value > 100)) {
      report("value", `a health component override is a score from 0 to 100, not ${JSON.stringify(raw)}`);
      continue;
    }
    if (target === "health.status" && !["green", "yellow", "red"].includes(value as string)) {
      report("value", `a status override is green, yellow or red, not ${JSON.stringify(raw)}`);
      continue;
    }
    const list = byAccount.get(String(accountId)) ?? [];
    list.push({ accountId: String(accountId), target, value, reason: String(v.reason), owner: String(v.owner), expires });
    byAccount.set(String(accountId), list);
  }
  return byAccount;
}
