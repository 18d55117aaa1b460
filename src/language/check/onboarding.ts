import { closestName } from "../../text/suggest.js";
import type { CheckContext } from "./context.js";
import { define } from "./definitions.js";
import type { PlaybookEnvironment } from "./environment.js";

/** Onboarding: a start date, milestones whose `after` exists and never loops. */
export function checkOnboarding(ctx: CheckContext, env: PlaybookEnvironment): void {
  const onboarding = ctx.model.onboarding;
  if (!onboarding) return;
  const start = env.within("onboarding", ["onboarding", "start"], () => ctx.checkExpressionAt(["onboarding", "start"], env, { role: "the onboarding start" }));
  if (start && start.type.name !== "unknown" && start.type.name !== "date" && start.type.name !== "datetime") {
    ctx.report("TL2006", ["onboarding", "start"], `onboarding must start from a date, e.g. contract_start, but this is a ${start.type.name}`);
  } else if (start?.type.nullable) {
    ctx.report("TL2007", ["onboarding", "start"], "the onboarding start may be missing; write a fallback, e.g. `contract_start ?? signup_date`");
  }
  const milestones = onboarding.milestones ?? {};
  const names = Object.keys(milestones);
  for (const [name, milestone] of Object.entries(milestones)) {
    const path = ["onboarding", "milestones", name];
    define(ctx, "milestone", name, path, milestone?.description ? { description: milestone.description } : {});
  }
  for (const [name, milestone] of Object.entries(milestones)) {
    const path = ["onboarding", "milestones", name];
    env.within("onboarding", [...path, "done_when"], () => ctx.checkExpressionAt([...path, "done_when"], env, { expect: "bool", role: `the condition of milestone \`${name}\`` }));
    if (milestone?.after !== undefined) {
      if (!names.includes(milestone.after)) {
        const suggestion = closestName(milestone.after, names);
        ctx.report("TL2014", [...path, "after"], `unknown milestone \`${milestone.after}\`${suggestion ? `; did you mean \`${suggestion}\`?` : ""}`);
      } else {
        ctx.referenceValue("milestone", milestone.after, [...path, "after"]);
      }
    }
  }
  // A chain of `after` that returns to where it began can never start.
  const reported = new Set<string>();
  for (const name of names) {
    const chain: string[] = [];
    let current: string | undefined = name;
    while (current !== undefined && !chain.includes(current)) {
      chain.push(current);
      current = milestones[current]?.after;
      if (current !== undefined && !names.includes(current)) current = undefined;
    }
    if (current === undefined || reported.has(current)) continue;
    const loop = chain.slice(chain.indexOf(current));
    loop.forEach((m) => reported.add(m));
    ctx.report("TL2016", ["onboarding", "milestones", current, "after"], `milestones wait for each other in a circle (${[...loop, current].join(" -> ")}), so none of them can ever be due`);
  }
  if (onboarding.health_model !== undefined) checkHealthModelName(ctx, env, ["onboarding", "health_model"], onboarding.health_model);
}

/** A health model named by a setting (onboarding, grace period) must exist. */
export function checkHealthModelName(ctx: CheckContext, env: PlaybookEnvironment, path: (string | number)[], name: string): void {
  if (env.healthModels.has(name)) {
    ctx.referenceValue("health-model", name, path);
    return;
  }
  const suggestion = closestName(name, env.healthModels.keys());
  ctx.report("TL2019", path, `unknown health model \`${name}\`${suggestion ? `; did you mean \`${suggestion}\`?` : ""}`);
}
