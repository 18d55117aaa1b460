import type { ModelPath } from "./source-map.js";

const NAMED_SECTIONS: Record<string, string> = {
  account: "field",
  events: "event type",
  metrics: "metric",
  segments: "segment",
  health_models: "health model",
  triggers: "trigger",
  templates: "template",
  offers: "offer",
};

/**
 * Names the thing at a model path the way a CS ops person would:
 * ["triggers", "nudge", "actions", 0] is "action 1 of trigger `nudge`".
 */
export function describePath(path: ModelPath): string {
  const [section, name, ...rest] = path.map(String);
  if (section === undefined) return "the playbook";
  if (NAMED_SECTIONS[section] && name !== undefined) {
    const owner = `${NAMED_SECTIONS[section]} \`${name}\``;
    if (section === "health_models" && rest[0] === "components" && rest[1] !== undefined) return `health component \`${rest[1]}\` of ${owner}`;
    if (section === "triggers" && rest[0] === "steps" && rest[1] !== undefined) {
      const step = `step ${Number(rest[1]) + 1} of ${owner}`;
      return rest[2] === "actions" && rest[3] !== undefined ? `action ${Number(rest[3]) + 1} in ${step}` : step;
    }
    if (section === "triggers" && rest[0] === "actions" && rest[1] !== undefined) return `action ${Number(rest[1]) + 1} of ${owner}`;
    if (section === "triggers" && rest[0] === "for" && rest[1] !== undefined) return `item ${Number(rest[1]) + 1} of \`for\` in ${owner}`;
    if (section === "events" && rest[0] === "properties" && rest[1] !== undefined) return `property \`${rest[1]}\` of ${owner}`;
    return owner;
  }
  if (section === "health") {
    if (name === "components" && rest[0] !== undefined) return `health component \`${rest[0]}\``;
    if (name === "caps" && rest[0] !== undefined) return `cap ${Number(rest[0]) + 1} of the health score`;
    return "the health score";
  }
  if (section === "tiers") return name === "rules" && rest[0] !== undefined ? `tier rule ${Number(rest[0]) + 1}` : "the tier section";
  if (section === "onboarding") return name === "milestones" && rest[0] !== undefined ? `milestone \`${rest[0]}\`` : "onboarding";
  if (section === "policies") {
    if (name === "frequency_caps" && rest[0] !== undefined) return `frequency cap ${Number(rest[0]) + 1}`;
    return name ? `the ${name.replace(/_/g, " ")} policy` : "the policies";
  }
  if (section === "overrides") return name === "allow" && rest[0] !== undefined ? `item ${Number(rest[0]) + 1} of \`allow\` in the overrides` : "the overrides";
  return `\`${section}\``;
}
