import { isTextual } from "../../expression/types.js";
import { parseTypeText } from "../../expression/types.js";
import { ONCE_PER_RENEWAL, type Action, type Trigger } from "../../model/playbook.js";
import { fieldSpec } from "../../model/resolve.js";
import type { Fix } from "../../text/diagnostic.js";
import { closestName } from "../../text/suggest.js";
import type { ModelPath } from "../source-map.js";
import type { CheckContext } from "./context.js";
import { define } from "./definitions.js";
import type { PlaybookEnvironment } from "./environment.js";
import { percentValue } from "./health.js";

/** Triggers: scope names that exist, true/false conditions, actions that point at real templates and offers. */
export function checkTriggers(ctx: CheckContext, env: PlaybookEnvironment): void {
  const segments = Object.keys(ctx.model.segments ?? {});
  for (const [name, trigger] of Object.entries(ctx.model.triggers ?? {})) {
    if (!trigger) continue;
    const path = ["triggers", name];
    define(ctx, "trigger", name, path, trigger.description ? { description: trigger.description } : {});
    (trigger.for ?? []).forEach((scope, index) => {
      // Anything but a name (an empty list item while typing) is the schema's to report.
      if (typeof scope !== "string") return;
      const scopePath = [...path, "for", index];
      if (env.tierNames.includes(scope)) ctx.referenceValue("tier", scope, scopePath);
      else if (segments.includes(scope)) ctx.referenceValue("segment", scope, scopePath);
      else {
        const suggestion = closestName(scope, [...env.tierNames, ...segments]);
        const code = suggestion && segments.includes(suggestion) ? "TL2013" : "TL2012";
        ctx.report(code, scopePath, `\`${scope}\` is neither a tier nor a segment${suggestion ? `; did you mean \`${suggestion}\`?` : `; tiers: ${env.tierNames.join(", ") || "none"}; segments: ${segments.join(", ") || "none"}`}`);
      }
    });
    // (A \`when\` the schema refused is already reported: it is written, just not readable.)
    if (trigger.when === undefined && !ctx.wasRejectedWithin([...path, "when"])) ctx.report("TL3001", path, `trigger \`${name}\` needs \`when\`: the condition that starts it`, { at: "key" });
    env.within(`trigger:${name}`, [...path, "when"], () => {
      ctx.checkExpressionAt([...path, "when"], env, { expect: "bool", role: `the condition of trigger \`${name}\`` });
      ctx.checkExpressionAt([...path, "goal"], env, { expect: "bool", role: `the goal of trigger \`${name}\`` });
    });
    const holdout = percentValue(trigger.holdout);
    if (holdout !== undefined && holdout > 100) ctx.report("TL3004", [...path, "holdout"], `a holdout is a share of accounts and cannot exceed 100%`);
    if (trigger.actions && trigger.steps) {
      ctx.report("TL4007", [...path, "steps"], `trigger \`${name}\` has both actions and steps: put the actions in a first step without a wait`, { at: "key" });
    }
    const actions: { action: Action; path: ModelPath }[] = [];
    (trigger.actions ?? []).forEach((action, i) => actions.push({ action, path: [...path, "actions", i] }));
    (trigger.steps ?? []).forEach((step, s) => (step?.actions ?? []).forEach((action, i) => actions.push({ action, path: [...path, "steps", s, "actions", i] })));
    if (actions.length === 0) ctx.report("TL4009", path, `trigger \`${name}\` does nothing: add an action such as email, task, offer or webhook`, { at: "key" });
    for (const { action, path: actionPath } of actions) checkAction(ctx, env, name, action, actionPath);
    checkRenewalLimit(ctx, name, trigger, [...path, "limit"]);
    const sendsEmail = actions.some(({ action }) => action && "email" in action);
    if (sendsEmail && trigger.cooldown === undefined && trigger.limit === undefined) {
      ctx.report("TL4004", path, `trigger \`${name}\` sends email with no cooldown or entry limit: ${trigger.fire === "while_true" ? "it would email every run while its condition holds" : "an account whose condition flips back and forth would be emailed each time"}; add e.g. \`cooldown 14d\``, { at: "key", fixes: addCooldownFix(ctx, path) });
    }
  }
}

/** The date field `once_per_renewal` follows: named in parentheses, else a date field called renewal_date. */
export function renewalFieldOf(limit: unknown, account: Record<string, unknown> | undefined): string | undefined {
  if (typeof limit !== "string") return undefined;
  const match = ONCE_PER_RENEWAL.exec(limit);
  if (!match) return undefined;
  return match[2] ?? (account && Object.hasOwn(account, "renewal_date") ? "renewal_date" : undefined);
}

/** `once_per_renewal` works only with a date to follow: a limit that cannot limit is an error, not a silent no-op. */
function checkRenewalLimit(ctx: CheckContext, trigger: string, spec: Trigger, path: ModelPath): void {
  if (typeof spec.limit !== "string" || !ONCE_PER_RENEWAL.test(spec.limit)) return;
  const named = ONCE_PER_RENEWAL.exec(spec.limit)![2];
  const field = renewalFieldOf(spec.limit, ctx.model.account);
  const dates = Object.entries(ctx.model.account ?? {}).filter(([, entry]) => parseTypeText(fieldSpec(entry).type)?.name === "date").map(([n]) => n);
  if (field === undefined) {
    ctx.report("TL4011", path, `\`limit once_per_renewal\` of trigger \`${trigger}\` has no date to follow: write once_per_renewal(<date field>)${dates.length > 0 ? `, e.g. once_per_renewal(${dates[0]})` : ", with a date field of the data contract"}`);
    return;
  }
  const type = Object.hasOwn(ctx.model.account ?? {}, field) ? parseTypeText(fieldSpec(ctx.model.account![field]!).type) : undefined;
  if (!type || type.name !== "date") {
    const suggestion = closestName(field, dates);
    ctx.report("TL4011", path, `\`once_per_renewal(${named ?? field})\` of trigger \`${trigger}\` must follow a date field of the data contract${suggestion ? `; did you mean \`${suggestion}\`?` : dates.length > 0 ? `: ${dates.join(", ")}` : ""}`);
  }
}

function checkAction(ctx: CheckContext, env: PlaybookEnvironment, trigger: string, action: Action, path: ModelPath): void {
  if (!action || typeof action !== "object") return;
  if ("email" in action && typeof action.email === "string") {
    referenceResource(ctx, "template", action.email, [...path, "email"], Object.keys(ctx.model.templates ?? {}), "TL2010");
    const to = env.within(`trigger:${trigger}`, [...path, "to"], () => ctx.checkExpressionAt([...path, "to"], env, { role: "the address of this email" }));
    if (to && to.type.name !== "unknown" && !isTextual(to.type)) ctx.report("TL2006", [...path, "to"], `an email goes to an address, e.g. admin_email, not a ${to.type.name}`);
  } else if ("offer" in action && typeof action.offer === "string") {
    referenceResource(ctx, "offer", action.offer, [...path, "offer"], Object.keys(ctx.model.offers ?? {}), "TL2011");
  } else if ("task" in action) {
    env.within(`trigger:${trigger}`, [...path, "owner"], () => ctx.checkExpressionAt([...path, "owner"], env, { role: "the owner of this task" }));
  }
}

function referenceResource(ctx: CheckContext, kind: "template" | "offer", name: string, path: ModelPath, known: string[], code: "TL2010" | "TL2011"): void {
  if (known.includes(name)) {
    ctx.referenceValue(kind, name, path);
    return;
  }
  const suggestion = closestName(name, known);
  const location = ctx.locate(path);
  const quoted = location.source.text[location.span.start] === '"';
  const fixes: Fix[] = suggestion ? [ctx.fix(`Change to "${suggestion}"`, location.source, location.span, quoted ? `"${suggestion}"` : suggestion)] : [];
  ctx.report(code, path, `unknown ${kind} "${name}"${suggestion ? `; did you mean "${suggestion}"?` : known.length > 0 ? `; the playbook defines ${known.map((k) => `"${k}"`).join(", ")}` : `; define it in the playbook's ${kind}s`}`, { fixes });
}

/** A quick fix inserting `cooldown 14d` as the trigger's first setting, in the notation of its file. */
function addCooldownFix(ctx: CheckContext, path: ModelPath): Fix[] {
  const { source, span } = ctx.locate(path, "key");
  const text = source.text;
  const lineEnd = text.indexOf("\n", span.start);
  if (lineEnd < 0) return [];
  const nextLine = text.slice(lineEnd + 1, text.indexOf("\n", lineEnd + 1) < 0 ? undefined : text.indexOf("\n", lineEnd + 1));
  const indent = /^\s*/.exec(nextLine)![0];
  const isYaml = !source.path.endsWith(".play");
  const line = isYaml ? `${indent}cooldown: 14d\n` : `${indent}cooldown 14d\n`;
  return [ctx.fix("Add a 14-day cooldown", source, { start: lineEnd + 1, end: lineEnd + 1 }, line)];
}

export type { Trigger };
