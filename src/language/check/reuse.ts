import type { Expr, RefNode } from "../../expression/ast.js";
import { checkExpression, type CheckedExpression, type CheckEnvironment, type CheckOptions, type NameInfo, type QuickFix, type Reporter } from "../../expression/check.js";
import type { Type } from "../../expression/types.js";
import type { DiagnosticCode } from "../../text/diagnostic.js";
import type { Span } from "../../text/source.js";

/** Something checking an expression did that the playbook's check keeps: a diagnostic, or a reference to a name. */
type Effect =
  | { kind: "report"; code: DiagnosticCode; span: Span; message: string; fix: QuickFix | undefined }
  | { kind: "reference"; ref: RefNode; info: NameInfo }
  | { kind: "filterReference"; event: string; ref: RefNode; info: NameInfo };

/**
 * One check of an expression: everything it asked its environment, in
 * order, and everything it said. When the same tree is checked again and
 * every answer is still the same, the check would say the same again.
 */
interface CheckRecord {
  options: CheckOptions;
  /** what the environment said about unknown names, and whether it wanted filter references */
  hint: string | undefined;
  filterReferences: boolean;
  resolved: { path: readonly string[]; info: NameInfo | undefined }[];
  namesUnder: { prefix: readonly string[]; names: readonly string[] }[];
  /** the declared events as the check saw them, when it looked */
  events: string | undefined;
  effects: Effect[];
  result: CheckedExpression;
}

/**
 * Checks of parsed trees, by tree. The parser hands out the same tree for
 * an unchanged expression at an unchanged place, so after an edit every
 * definition the edit did not touch, and whose names still mean the same,
 * is answered from here (its typed tree included) instead of checked again.
 */
const records = new WeakMap<Expr, CheckRecord[]>();
const eventFingerprints = new WeakMap<ReadonlyMap<string, ReadonlyMap<string, Type>>, string>();

/** `checkExpression`, reusing the last check of the same tree when nothing it depends on changed. */
export function checkReusing(expr: Expr, env: CheckEnvironment, report: Reporter, options: CheckOptions): CheckedExpression {
  const earlier = records.get(expr) ?? [];
  for (const record of earlier) {
    const same = record.options.allowMissing === options.allowMissing && record.options.expect === options.expect && record.options.role === options.role;
    if (same && record.hint === env.unknownNameHint && record.filterReferences === (env.onFilterReference !== undefined) && stillHolds(record, env)) {
      replay(record, env, report);
      return record.result;
    }
  }
  const record: CheckRecord = { options, hint: env.unknownNameHint, filterReferences: env.onFilterReference !== undefined, resolved: [], namesUnder: [], events: undefined, effects: [], result: undefined as unknown as CheckedExpression };
  const recording: CheckEnvironment = {
    resolve(path) {
      const info = env.resolve(path);
      record.resolved.push({ path, info });
      return info;
    },
    namesUnder(prefix) {
      const names = env.namesUnder(prefix);
      record.namesUnder.push({ prefix, names: [...names] });
      return names;
    },
    get eventTypes() {
      record.events = eventsFingerprint(env.eventTypes);
      return env.eventTypes;
    },
    onReference(ref, info) {
      record.effects.push({ kind: "reference", ref, info });
      env.onReference?.(ref, info);
    },
    ...(env.onFilterReference
      ? {
          onFilterReference(event: string, ref: RefNode, info: NameInfo) {
            record.effects.push({ kind: "filterReference", event, ref, info });
            env.onFilterReference!(event, ref, info);
          },
        }
      : {}),
    ...(env.unknownNameHint !== undefined ? { unknownNameHint: env.unknownNameHint } : {}),
  };
  const recordingReport: Reporter = (code, span, message, fix) => {
    record.effects.push({ kind: "report", code, span, message, fix });
    report(code, span, message, fix);
  };
  record.result = checkExpression(expr, recording, recordingReport, options);
  // A few records per tree: the same condition checked with other options, or in an environment that changed back.
  records.set(expr, [record, ...earlier.slice(0, 3)]);
  return record.result;
}

function stillHolds(record: CheckRecord, env: CheckEnvironment): boolean {
  for (const { path, info } of record.resolved) if (!sameInfo(env.resolve(path), info)) return false;
  for (const { prefix, names } of record.namesUnder) {
    const now = env.namesUnder(prefix);
    if (now.length !== names.length || now.some((name, i) => name !== names[i])) return false;
  }
  return record.events === undefined || record.events === eventsFingerprint(env.eventTypes);
}

function replay(record: CheckRecord, env: CheckEnvironment, report: Reporter): void {
  for (const effect of record.effects) {
    if (effect.kind === "report") report(effect.code, effect.span, effect.message, effect.fix);
    else if (effect.kind === "reference") env.onReference?.(effect.ref, effect.info);
    else env.onFilterReference?.(effect.event, effect.ref, effect.info);
  }
}

function sameInfo(a: NameInfo | undefined, b: NameInfo | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return a.kind === b.kind && a.description === b.description && a.missingBecause === b.missingBecause && sameType(a.type, b.type);
}

function sameType(a: Type | undefined, b: Type | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.name !== b.name || a.nullable !== b.nullable) return false;
  if ((a.values === undefined) !== (b.values === undefined) || (a.values && (a.values.length !== b.values!.length || a.values.some((v, i) => v !== b.values![i])))) return false;
  return sameType(a.element, b.element);
}

function eventsFingerprint(events: ReadonlyMap<string, ReadonlyMap<string, Type>> | undefined): string {
  if (!events) return "";
  let fingerprint = eventFingerprints.get(events);
  if (fingerprint === undefined) {
    fingerprint = JSON.stringify([...events].map(([name, properties]) => [name, [...properties]]));
    eventFingerprints.set(events, fingerprint);
  }
  return fingerprint;
}
