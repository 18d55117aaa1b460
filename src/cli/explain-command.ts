import { epochDayOf, isoDateOf } from "../expression/literals.js";
import type { CompiledPlaybook } from "../engine/compiled.js";
import type { RunResult } from "../run/run.js";
import { scoreChange } from "../run/since.js";
import type { Value } from "../expression/value.js";
import { loadProject } from "../run/project.js";
import { runProject, RunStopped } from "../run/run.js";
import { EXIT, UsageError, type Io } from "./output.js";
import { checkAsOf, renderInputLeftOut, withProject } from "./run-command.js";
import { renderTable } from "./table.js";

function show(value: Value | undefined): string {
  if (value === undefined) return "";
  if (value === null) return "(missing)";
  if (typeof value === "number") return String(Math.round(value * 1000) / 1000);
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** `touchline explain`: why one account has its score, tier and actions on a day. */
export async function runExplain(projectPath: string, accountId: string, options: { asOf: string; state?: string | undefined; since?: string | undefined }, io: Io): Promise<number> {
  checkAsOf(options.asOf);
  const sinceDays = options.since === undefined ? undefined : /^[0-9]+d$/.test(options.since) ? Number(options.since.slice(0, -1)) : undefined;
  const sinceDate = options.since !== undefined && sinceDays === undefined ? epochDayOf(options.since) : undefined;
  if (options.since !== undefined && sinceDays === undefined && sinceDate === undefined) throw new UsageError(`--since takes a number of days (7d) or a date (YYYY-MM-DD), not ${options.since}`);
  return withProject(projectPath, io, async () => {
    const project = loadProject(projectPath);
    const sections: string[] = [];
    const said = new Set<string>();
    // Each playbook of the project explains its own part: which one decided each action is said by its heading.
    for (const file of project.playbooks) {
      const result = await runProject(project, { asOf: options.asOf, explainAccount: accountId, playbook: file, ...(options.state ? { statePath: options.state } : {}) });
      if (!result.explained) throw new RunStopped(`account ${accountId} is not among the valid accounts of ${project.accounts.file}`);
      sections.push(explainOne({ ...result, explained: result.explained }, sinceDays, sinceDate, said));
    }
    io.out(sections.join("\n\n"));
    return EXIT.ok;
  });
}

function explainOne(result: RunResult & { explained: NonNullable<RunResult["explained"]> }, sinceDays: number | undefined, sinceDate: number | undefined, said: Set<string>): string {
  const { decision, before, history, stateDay } = result.explained;
  const plan = result.plan;
  const lines: string[] = [`Account ${decision.account} as of ${isoDateOf(decision.day)} (playbook ${plan.name}, ${plan.hash})`, ""];
  // What reading the account left out explains figures that look low: said before them.
  const leftOut = renderInputLeftOut(result, said);
  if (leftOut.length > 0) lines.push(...leftOut, "");
  if (stateDay !== undefined && stateDay > decision.day) {
    // An earlier day than the state holds: say what this is, and what was decided then.
    const remembered = history.find((row) => row.day <= decision.day);
    lines.push(`${isoDateOf(decision.day)} is before the latest run (${isoDateOf(stateDay)}): recomputed below with today's data and playbook, from what the state remembered before that day.`);
    lines.push(remembered ? `Remembered for that day (from ${isoDateOf(remembered.day)}): score ${show(remembered.score)} (${remembered.status ?? "no score"}), tier ${remembered.tier ?? "none"}, playbook ${remembered.playbook}.` : "The state remembers nothing of this account on or before that day.", "");
  }
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
    lines.push(renderTable(["milestone", "status", "due", "done on"], decision.onboarding.milestones.map((m) => [m.name, m.status.replace("_", " "), isoDateOf(m.due), m.doneOn !== null ? isoDateOf(m.doneOn) : m.beforeTracking ? "before tracking" : ""])));
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
  if (sinceDays !== undefined || sinceDate !== undefined) {
    const since = sinceDate ?? decision.day - sinceDays!;
    lines.push("", ...renderSince(plan, result.explained, since));
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
  return lines.join("\n");
}

const signed = (n: number) => `${n >= 0 ? "+" : ""}${Math.round(n * 100) / 100}`;

/** The score then and now, each component's move, the split between playbook and data, and what happened between. */
function renderSince(plan: CompiledPlaybook, explained: NonNullable<RunResult["explained"]>, since: number): string[] {
  const change = scoreChange(plan, explained.decision, explained.inputs, explained.history, since, explained.zone, (v) => show(v as Value));
  if (!change) return [`Since ${isoDateOf(since)}: the state remembers nothing of this account on or before that day.`];
  const { earlier } = change;
  const lines = [`Since ${isoDateOf(since)}${earlier.day < since ? ` (remembered on ${isoDateOf(earlier.day)}, the last change on or before it)` : ""}:`];
  if (change.scoreBefore !== null && change.scoreAfter !== null) {
    const delta = change.scoreAfter - change.scoreBefore;
    let line = `  score ${show(change.scoreBefore)} -> ${show(change.scoreAfter)} (${signed(delta)})`;
    if (change.split) {
      const parts: string[] = [];
      if (Math.abs(change.split.playbook) >= 0.005 || earlier.playbook !== plan.hash) parts.push(`${signed(change.split.playbook)} from the playbook edit${change.split.weightChanges.length > 0 ? ` (${change.split.weightChanges.join(", ")})` : earlier.playbook !== plan.hash ? ` (${earlier.playbook} -> ${plan.hash})` : ""}`);
      parts.push(`${signed(change.split.data)} from the data${change.split.inputChanges.length > 0 ? ` (${change.split.inputChanges.slice(0, 4).join(", ")})` : ""}`);
      line += `: ${parts.join(", ")}`;
    } else if (change.noSplit) line += `; the playbook's and the data's parts cannot be told apart: ${change.noSplit}`;
    lines.push(line);
  } else lines.push(`  score ${show(change.scoreBefore)} -> ${show(change.scoreAfter)}`);
  lines.push(
    renderTable(
      ["component", "before", "after", "contribution"],
      change.components.map((c) => [
        c.name,
        c.before ? `${show(c.before.score)} x ${Math.round(c.before.weight * 1000) / 10}%` : "(not in the playbook)",
        c.after ? `${show(c.after.score)} x ${Math.round(c.after.weight * 1000) / 10}%` : "(removed)",
        `${show(c.before?.contribution ?? 0)} -> ${show(c.after?.contribution ?? 0)}`,
      ]),
    ),
  );
  let status = earlier.status;
  let tier = earlier.tier;
  for (const row of change.between) {
    if (row.status !== status) lines.push(`  ${isoDateOf(row.day)}: status ${status ?? "none"} -> ${row.status ?? "none"}`);
    if (row.tier !== tier) lines.push(`  ${isoDateOf(row.day)}: tier ${tier ?? "none"} -> ${row.tier ?? "none"}`);
    for (const action of row.detail?.actions ?? []) lines.push(`  ${isoDateOf(row.day)}: ${action.trigger}: ${action.kind} ${action.target} (${action.status.replace("_", " ")})`);
    status = row.status;
    tier = row.tier;
  }
  const today = explained.decision;
  if ((today.health?.status ?? null) !== status) lines.push(`  ${isoDateOf(today.day)}: status ${status ?? "none"} -> ${today.health?.status ?? "none"}`);
  if (today.tier && today.tier.value !== tier) lines.push(`  ${isoDateOf(today.day)}: tier ${tier ?? "none"} -> ${today.tier.value ?? "none"}`);
  return lines;
}
