import type { DataEngine } from "../data/duckdb.js";
import type { Rejections } from "../data/rejects.js";
import { readSmallTable, type FileSpec } from "../data/sources.js";
import type { CompiledPlaybook } from "../engine/compiled.js";
import type { ManualOverride } from "../engine/overrides.js";
import { epochDayOf, isoDateOf } from "../expression/literals.js";

/** The columns of an overrides file; `created` is optional and bounds the duration when present. */
export const OVERRIDE_COLUMNS = ["target", "value", "reason", "owner", "expires", "created"] as const;

/**
 * Reads manual overrides (account, target, value, reason, owner, expires,
 * and optionally created) and keeps those the playbook allows: a target it
 * lets CSMs set, a value that exists in the playbook (a tier it defines, a
 * status, a score from 0 to 100), a reason, an owner, and an expiry within
 * the playbook's maximum duration, counted from `created`, or from the day
 * evaluated when the file has no such column.
 */
export async function readOverrides(engine: DataEngine, spec: FileSpec, idField: string, plan: CompiledPlaybook, day: number, rejections: Rejections): Promise<Map<string, ManualOverride[]>> {
  const byAccount = new Map<string, ManualOverride[]>();
  const rows = await readSmallTable(engine, spec, "overrides", [idField, ...OVERRIDE_COLUMNS]);
  const allowed = plan.overrides.allowed;
  const tiers = plan.tiers?.names ?? [];
  const reject = (line: number, field: string | null, message: string, kind: string) => rejections.add({ file: spec.file, line, problems: [{ field, message, kind }] });
  for (const { line, values, unreadable } of rows) {
    if (unreadable) {
      reject(line, null, unreadable, "unreadable");
      continue;
    }
    const accountId = values[idField];
    const target = values.target ?? "";
    if (!accountId) {
      reject(line, idField, `names no account (column ${idField})`, "id");
      continue;
    }
    if (!allowed.has(target)) {
      reject(line, "target", `\`${target}\` may not be overridden by hand; the playbook allows ${[...allowed].map((a) => `\`${a}\``).join(", ") || "no overrides"}`, "target");
      continue;
    }
    const missing = (["reason", "owner", "expires"] as const).filter((key) => !values[key]);
    if (missing.length > 0) {
      reject(line, missing[0]!, `an override needs a reason, an owner and an expiry date; ${missing.join(", ")} missing`, "incomplete");
      continue;
    }
    const expires = epochDayOf(values.expires!);
    if (expires === undefined) {
      reject(line, "expires", `expected a date as YYYY-MM-DD, got ${JSON.stringify(values.expires)}`, "date");
      continue;
    }
    const created = values.created ? epochDayOf(values.created) : undefined;
    if (values.created && created === undefined) {
      reject(line, "created", `expected a date as YYYY-MM-DD, got ${JSON.stringify(values.created)}`, "date");
      continue;
    }
    const maxDays = plan.overrides.maxDays;
    const from = created ?? day;
    if (maxDays !== undefined && expires - from > maxDays) {
      reject(line, "expires", `lasts until ${isoDateOf(expires)}, ${expires - from} days after ${created !== undefined ? "it was created" : `the day evaluated (${isoDateOf(day)})`}; the playbook allows overrides of at most ${maxDays} days`, "duration");
      continue;
    }
    const raw = values.value;
    let value: string | number;
    if (target === "tier") {
      if (!raw || !tiers.includes(raw)) {
        reject(line, "value", `the tier ${JSON.stringify(raw)} does not exist in the playbook; it has ${tiers.map((t) => `\`${t}\``).join(", ")}`, "tier");
        continue;
      }
      value = raw;
    } else if (target === "health.status") {
      if (raw !== "green" && raw !== "yellow" && raw !== "red") {
        reject(line, "value", `a status override is green, yellow or red, not ${JSON.stringify(raw)}`, "status");
        continue;
      }
      value = raw;
    } else {
      const score = raw === null || raw === undefined ? Number.NaN : Number(raw);
      if (!/^[0-9]+(\.[0-9]+)?$/.test(raw ?? "") || score < 0 || score > 100) {
        reject(line, "value", `a health component override is a score from 0 to 100, not ${JSON.stringify(raw)}`, "score");
        continue;
      }
      value = score;
    }
    const list = byAccount.get(accountId) ?? [];
    list.push({ accountId, target, value, reason: values.reason!, owner: values.owner!, expires });
    byAccount.set(accountId, list);
  }
  return byAccount;
}
