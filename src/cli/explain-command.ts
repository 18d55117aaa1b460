import { isoDateOf } from "../expression/literals.js";
import type { Value } from "../expression/value.js";
import { loadProject } from "../run/project.js";
import { runProject, RunStopped } from "../run/run.js";
import { EXIT, type Io } from "./output.js";
import { withProject } from "./run-command.js";
import { renderTable } from "./table.js";

function show(value: Value | undefined): string {
  if (value === undefined) return "";
  if (value === null) return "(missing)";
  if (typeof value === "number") return String(Math.round(value * 1000) / 1000);
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** `touchline explain`: why one account has its score, tier and actions on a day. */
export async function runExplain(projectPath: string, accountId: string, options: { asOf: string; state?: string | undefined }, io: Io): Promise<number> {
  return withProject(projectPath, io, async () => {
    const project = loadProject(projectPath);
    const result = await runProject(project, { asOf: options.asOf, explainAccount: accountId, ...(options.state ? { statePath: options.state } : {}) });
    if (!result.explained) throw new RunStopped(`account ${accountId} is not among the valid accounts of ${project.accounts.file}`);
    const { decision, before } = result.explained;
    const plan = result.plan;
    const lines: string[] = [`Account ${decision.account} as of ${isoDateOf(decision.day)} (playbook ${plan.name}, ${plan.hash})`, ""];
    const health = decision.health;
    if (health) {
      lines.push(`Health: ${show(health.score)} (${health.status ?? "no score"}) with model ${health.model}${health.trend !== null ? `, trend ${health.trend >= 0 ? "+" : ""}${health.trend}` : ""}${health.grace ? ", in the grace period for new accounts" : ""}`);
      lines.push(
        renderTable(
          ["component", "inputs", "score", "weight", "contribution", "note"],
          health.components.map((c) => [
            c.name,
            Object.entries(c.inputs).map(([k, v]) => `${k}=${show(v)}`).join(" "),
            show(c.score),
            `${Math.round(c.weight * 1000) / 10}%`,
            show(c.contribution),
            c.overridden ? "set by hand" : c.missing ? (c.score === null ? "input missing: left out, others reweighted" : "input missing: missing-data score used") : "",
          ]),
        ),
      );
      for (const cap of health.caps) lines.push(`cap applied: ${cap}`);
    }
    if (decision.tier) {
      const t = decision.tier;
      lines.push("", `Tier: ${t.value ?? "(none)"}${t.computed !== t.value ? ` (the rules say ${t.computed ?? "none"}${t.pending ? `; the move waits for the hysteresis period` : ""})` : ""}`);
    }
    if (Object.keys(decision.segments).length > 0) lines.push("", `Segments: ${Object.entries(decision.segments).map(([k, v]) => `${k}=${v}`).join(", ")}`);
    if (Object.keys(decision.metrics).length > 0) lines.push(`Metrics: ${Object.entries(decision.metrics).map(([k, v]) => `${k}=${show(v)}`).join(", ")}`);
    if (decision.onboarding) {
      lines.push("", `Onboarding: ${Math.round(decision.onboarding.completion * 100)}% complete`);
      lines.push(renderTable(["milestone", "status", "due", "done on"], decision.onboarding.milestones.map((m) => [m.name, m.status.replace("_", " "), isoDateOf(m.due), m.doneOn === null ? "" : isoDateOf(m.doneOn)])));
    }
    lines.push("", "Triggers:");
    lines.push(
      renderTable(
        ["trigger", "in scope", "condition", "result", "decided by"],
        decision.triggers.map((t) => [t.name, t.inScope ? "yes" : "no", t.condition ? "true" : "false", t.reason, t.decidedBy ? `${t.decidedBy} = ${show(t.parts.find((p) => p.text === t.decidedBy)?.value)}` : ""]),
      ),
    );
    if (decision.actions.length > 0) {
      lines.push("", "Actions:");
      for (const a of decision.actions) lines.push(`  ${a.trigger}: ${a.kind} ${a.target}${a.to ? ` to ${a.to}` : ""}: ${a.status.replace("_", " ")} (${a.reason})`);
    }
    lines.push("", "Since the previous run:");
    if (!before) lines.push("  no earlier run is stored for this account.");
    else {
      const cause = before.playbook !== plan.hash ? `the playbook changed (${before.playbook} -> ${plan.hash})` : "the account's data changed (same playbook)";
      const previousScore = before.health?.score ?? null;
      if (health && previousScore !== health.score) lines.push(`  score ${show(previousScore)} -> ${show(health.score)} on ${isoDateOf(before.day)} -> ${isoDateOf(decision.day)}: ${cause}`);
      else lines.push(`  score unchanged since ${isoDateOf(before.day)}`);
      if ((before.health?.status ?? null) !== (health?.status ?? null)) lines.push(`  status ${before.health?.status ?? "none"} -> ${health?.status ?? "none"}: ${cause}`);
      if (decision.tier && before.tier !== decision.tier.held) lines.push(`  tier ${before.tier ?? "none"} -> ${decision.tier.held ?? "none"}`);
    }
    for (const notice of decision.notices) lines.push(`notice: ${notice}`);
    io.out(lines.join("\n"));
    return EXIT.ok;
  });
}
