import { dirname, resolve } from "node:path";
import { closestName } from "../../text/suggest.js";
import type { CheckContext } from "./context.js";
import { define } from "./definitions.js";
import type { PlaybookEnvironment } from "./environment.js";
import { checkHealthModelName } from "./onboarding.js";

/** Templates and offers are defined once and referenced by name from actions. */
export function defineResources(ctx: CheckContext): void {
  for (const [name, template] of Object.entries(ctx.model.templates ?? {})) {
    const path = ["templates", name];
    define(ctx, "template", name, path, template?.description ? { description: template.description } : template?.subject ? { description: `Subject: ${template.subject}` } : {});
    if (template && template.body === undefined && template.file === undefined) ctx.report("TL3001", path, `template "${name}" needs a body or a file`, { at: "key" });
    if (template?.file !== undefined) {
      const base = ctx.sources.locate([...path, "file"]).map.source.path;
      const found = ctx.readFile(resolve(dirname(base), template.file));
      if (found === undefined) ctx.report("TL2010", [...path, "file"], `the template file \`${template.file}\` does not exist (paths are relative to the playbook's folder)`);
      else if (typeof found !== "string") ctx.report("TL2010", [...path, "file"], `the template file \`${template.file}\` cannot be used: ${found.refused}`);
    }
  }
  for (const [name, offer] of Object.entries(ctx.model.offers ?? {})) {
    define(ctx, "offer", name, ["offers", name], offer?.description ? { description: offer.description } : {});
  }
}

/** Policies and manual overrides: conditions, model names and override targets that exist. */
export function checkPolicies(ctx: CheckContext, env: PlaybookEnvironment): void {
  const policies = ctx.model.policies;
  if (policies) {
    env.within("policies", ["policies", "suppress_when"], () => ctx.checkExpressionAt(["policies", "suppress_when"], env, { expect: "bool", role: "the suppression condition" }));
    const grace = policies.grace_period;
    if (grace) {
      env.within("policies", ["policies", "grace_period", "since"], () => ctx.checkExpressionAt(["policies", "grace_period", "since"], env, { role: "the date accounts count as new from" }));
      if (grace.health_model !== undefined) checkHealthModelName(ctx, env, ["policies", "grace_period", "health_model"], grace.health_model);
    }
    const quiet = policies.quiet_hours;
    if (quiet && quiet.from === quiet.to) ctx.report("TL3004", ["policies", "quiet_hours"], "quiet hours that start and end at the same time are empty; leave them out or set a range");
  }
  const targets = [
    "tier",
    "health.status",
    "health.score",
    ...env.componentNames.map((c) => `health.${c}`),
  ];
  (ctx.model.overrides?.allow ?? []).forEach((target, index) => {
    // Anything but a name (an empty list item while typing) is the schema's to report.
    if (typeof target !== "string") return;
    const path = ["overrides", "allow", index];
    if (targets.includes(target)) {
      // `health.sentiment` names the component: navigation and rename reach it here too.
      const component = /^health\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(target)?.[1];
      const { map, entry, exact } = ctx.sources.locate(path);
      if (component && component !== "status" && component !== "score" && exact) {
        const written = map.source.text.slice(entry.span.start, entry.span.end);
        const at = written.lastIndexOf(component);
        if (at >= 0) ctx.symbols.reference({ kind: "component", name: component, file: map.source.path, span: { start: entry.span.start + at, end: entry.span.start + at + component.length } });
      }
      return;
    }
    const suggestion = closestName(target, targets);
    ctx.report("TL2021", path, `\`${target}\` cannot be overridden${suggestion ? `; did you mean \`${suggestion}\`?` : `; CSMs can override ${targets.map((t) => `\`${t}\``).join(", ")}`}`);
  });
}
