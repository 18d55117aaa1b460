import { formatType } from "../../expression/types.js";
import type { HealthModel } from "../../model/playbook.js";
import { DEFAULT_HEALTH_MODEL } from "../../model/resolve.js";
import { closestName } from "../../text/suggest.js";
import type { Fix } from "../../text/diagnostic.js";
import type { CheckContext } from "./context.js";
import { define } from "./definitions.js";
import { declaredComponentPath, HEALTH_MEMBERS, healthModelPath, type PlaybookEnvironment } from "./environment.js";

/** The number in a percentage such as "40%", or undefined. */
export function percentValue(text: unknown): number | undefined {
  if (typeof text !== "string" || !/^\d+(\.\d+)?%$/.test(text)) return undefined;
  return Number(text.slice(0, -1));
}

/** Normalised weights (summing to 100) of the components that have a weight. */
export function normalisedWeights(model: HealthModel): Map<string, number> {
  const weights = new Map<string, number>();
  for (const [name, component] of Object.entries(model.components ?? {})) {
    const weight = percentValue(component?.weight);
    if (weight !== undefined) weights.set(name, weight);
  }
  const total = [...weights.values()].reduce((a, b) => a + b, 0);
  const result = new Map<string, number>();
  for (const [name, weight] of weights) result.set(name, total > 0 ? (weight / total) * 100 : 0);
  return result;
}

function formatPercent(value: number): string {
  return `${Number(value.toFixed(1))}%`;
}

/** Health models: complete components, weights that add up, ordered bands, unambiguous precedence. */
export function checkHealth(ctx: CheckContext, env: PlaybookEnvironment): void {
  env.componentTypeMap();
  const declaredNames = new Set(env.healthModels.keys());
  for (const [modelName, model] of env.healthModels) {
    const modelPath = healthModelPath(modelName);
    const label = modelName === DEFAULT_HEALTH_MODEL ? "the health score" : `health model \`${modelName}\``;
    define(ctx, "health-model", modelName, modelPath, model.description ? { description: model.description } : {});
    const declared = modelName === DEFAULT_HEALTH_MODEL ? ctx.model.health : ctx.model.health_models?.[modelName];
    if (declared?.extends !== undefined) {
      if (!declaredNames.has(declared.extends) || declared.extends === modelName) {
        const suggestion = closestName(declared.extends, [...declaredNames].filter((n) => n !== modelName));
        ctx.report("TL2019", [...modelPath, "extends"], `unknown health model \`${declared.extends}\`${suggestion ? `; did you mean \`${suggestion}\`?` : "; `default` is the playbook's `health` section"}`);
      } else {
        ctx.referenceValue("health-model", declared.extends, [...modelPath, "extends"]);
      }
    }
    const components = Object.entries(model.components ?? {});
    if (components.length === 0) {
      ctx.report("TL3001", modelPath, `${label} has no components: add at least one, e.g. \`adoption 40% = scale(utilization, 0.2 .. 0.9)\``, { at: "key" });
    }
    for (const [name, component] of components) {
      const ownPath = [...modelPath, "components", name];
      if (modelName === DEFAULT_HEALTH_MODEL || declared?.components?.[name] !== undefined) {
        // `health.score` is the score: a component of that name could never be read.
        if ((HEALTH_MEMBERS as readonly string[]).includes(name)) ctx.report("TL2001", ownPath, `\`health.${name}\` already means the health ${name === "model" ? "model that applies" : name}: name this component otherwise`, { at: "key" });
        define(ctx, "component", name, ownPath, { type: formatType(env.componentTypeMap().get(name)!), ...(component?.description ? { description: component.description } : {}) });
      }
      if (ctx.wasRejectedWithin(ownPath)) continue;
      if (component?.score === undefined) ctx.report("TL3001", ownPath, `health component \`${name}\` of ${label} has no score: write \`= <expression>\` (DSL) or \`score:\` (YAML)`, { at: "key" });
      if (component?.weight === undefined) ctx.report("TL3001", ownPath, `health component \`${name}\` of ${label} has no weight, e.g. 30%`, { at: "key" });
      // In a model that extends another, 0% is how a component is switched off.
      else if (percentValue(component.weight) === 0 && declared?.extends === undefined) ctx.report("TL4010", declaredComponentPath(ctx.model, modelName, name, "weight"), `health component \`${name}\` has weight 0%: it never changes the score; remove it or give it a weight`);
    }
    checkWeights(ctx, modelName, model, label);
    if (model.status && typeof model.status.green === "number" && typeof model.status.yellow === "number" && model.status.green <= model.status.yellow) {
      ctx.report("TL4005", [...modelPath, "status"], `green must start above yellow: green >= ${model.status.green} and yellow >= ${model.status.yellow} leave no room for yellow`);
    }
    (declared?.caps ?? []).forEach((cap, index) => {
      const capPath = [...modelPath, "caps", index];
      ctx.checkExpressionAt([...capPath, "when"], env, { expect: "bool", role: "the condition of this cap" });
      if (cap && cap.status === undefined && cap.score === undefined && !ctx.wasRejectedWithin(capPath)) ctx.report("TL3001", capPath, "a cap needs a status (yellow or red) or a highest score", { at: "key" });
    });
    if (modelName !== DEFAULT_HEALTH_MODEL) {
      env.within("health", [...modelPath, "when"], () => ctx.checkExpressionAt([...modelPath, "when"], env, { expect: "bool", role: `the condition of health model \`${modelName}\`` }));
      const namedElsewhere = ctx.model.onboarding?.health_model === modelName || ctx.model.policies?.grace_period?.health_model === modelName;
      if (declared?.when === undefined && !namedElsewhere) {
        ctx.report("TL3001", modelPath, `health model \`${modelName}\` needs \`when\`: the accounts it applies to (or name it as the onboarding or grace-period health model)`, { at: "key" });
      }
    }
  }
  checkPrecedence(ctx);
}

function checkWeights(ctx: CheckContext, modelName: string, model: HealthModel, label: string): void {
  const entries = Object.entries(model.components ?? {}).filter(([, c]) => percentValue(c?.weight) !== undefined);
  if (entries.length === 0) return;
  const total = entries.reduce((sum, [, c]) => sum + percentValue(c.weight)!, 0);
  if (Math.abs(total - 100) < 1e-9 || total === 0) return;
  const normalised = normalisedWeights(model);
  const listing = [...normalised].map(([name, weight]) => `${name} ${formatPercent(weight)}`).join(", ");
  const fixes: Fix[] = [];
  const edits = [...normalised].map(([name, weight]) => {
    const location = ctx.locate(declaredComponentPath(ctx.model, modelName, name, "weight"));
    return { file: location.source.path, span: location.span, newText: formatPercent(weight) };
  });
  if (edits.every((e) => e.file === edits[0]!.file)) fixes.push({ title: "Normalise the weights to 100%", edits });
  const modelPath = healthModelPath(modelName);
  ctx.report("TL4001", modelPath, `the weights of ${label} add up to ${formatPercent(total)}, not 100%; they are used normalised: ${listing}`, { at: "key", fixes });
}

/** Two health models with a condition and the same priority: which one applies would be a coin toss. */
function checkPrecedence(ctx: CheckContext): void {
  const byPriority = new Map<number, string>();
  for (const [name, model] of Object.entries(ctx.model.health_models ?? {})) {
    const priority = model?.priority ?? 0;
    const other = byPriority.get(priority);
    if (other !== undefined) {
      ctx.report("TL4008", ["health_models", name], `health models \`${other}\` and \`${name}\` both have priority ${priority}: when both apply, which one wins is not defined; give them different priorities`, { at: "key" });
    } else {
      byPriority.set(priority, name);
    }
  }
}
