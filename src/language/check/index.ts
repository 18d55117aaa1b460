import type { Diagnostic } from "../../text/diagnostic.js";
import { compareDiagnostics } from "../../text/diagnostic.js";
import type { LoadedPlaybook, ReadFile } from "../document.js";
import { SymbolTable } from "../symbols.js";
import { CheckContext, type CheckedPlaybookExpression } from "./context.js";
import { checkCycles } from "./cycles.js";
import { checkContract, checkMetricsAndSegments } from "./definitions.js";
import { PlaybookEnvironment } from "./environment.js";
import { checkHealth } from "./health.js";
import { checkOnboarding } from "./onboarding.js";
import { checkPolicies, defineResources } from "./policies.js";
import { checkTemplatePlaceholders } from "./templates.js";
import { checkTiers } from "./tiers.js";
import { checkTriggers } from "./triggers.js";

/** A playbook after every stage: parsed, merged, validated, checked. */
export interface CheckedPlaybook extends LoadedPlaybook {
  /** every diagnostic of every stage, sorted by file and position */
  diagnostics: Diagnostic[];
  symbols: SymbolTable;
  /** the typed expression at each model path, for the engine to compile */
  expressions: ReadonlyMap<string, CheckedPlaybookExpression>;
  environment: PlaybookEnvironment;
}

/**
 * Runs the semantic checks over a loaded playbook. The order matters only
 * for the symbol table (definitions before their references); every check
 * reports and goes on, so one run shows every problem.
 */
export function checkPlaybook(loaded: LoadedPlaybook, readFile: ReadFile): CheckedPlaybook {
  const symbols = new SymbolTable();
  const ctx = new CheckContext(loaded.model, loaded.sources, symbols, readFile, loaded.layers.flatMap((l) => l.rejected));
  const env = new PlaybookEnvironment(ctx);
  checkContract(ctx);
  defineResources(ctx);
  checkMetricsAndSegments(ctx, env);
  checkHealth(ctx, env);
  checkTiers(ctx, env);
  checkOnboarding(ctx, env);
  checkTriggers(ctx, env);
  checkPolicies(ctx, env);
  checkTemplatePlaceholders(ctx);
  checkCycles(ctx, env);
  const seen = new Set<string>();
  // One mistake, one diagnostic: a syntax error is the whole story of its span (the schema's complaint about
  // the same text follows from it), and logic warnings wait until the file reads (a broken `cooldown` line is
  // not a missing cooldown).
  const all = [...loaded.diagnostics, ...ctx.diagnostics];
  const syntax = all.filter((d) => d.code.startsWith("TL1"));
  const syntaxAt = new Set(syntax.map((d) => `${d.file}|${d.span.start}|${d.span.end}`));
  const unreadable = new Set(syntax.filter((d) => d.severity === "error").map((d) => d.file));
  // A setting the schema refused was left out of the model: logic warnings about what is missing would be about that.
  for (const d of all) if (/^TL300[2-5]$/.test(d.code)) unreadable.add(d.file);
  // A broken line's settings are the syntax error's consequence.
  const brokenLines = new Set(syntax.filter((d) => d.severity === "error").map((d) => `${d.file}|${d.range.start.line}`));
  // A base that cannot be read leaves the playbook without its definitions: what follows from that is not said.
  const baseMissing = all.some((d) => d.code === "TL2020");
  // A text missing its closing quote runs on: what is read from it next is its consequence, not another mistake.
  const unterminated = new Set(syntax.filter((d) => d.code === "TL1003").map((d) => `${d.file}|${d.span.start}`));
  const diagnostics = all.filter((d) => {
    const key = `${d.file}|${d.span.start}|${d.span.end}|${d.code}|${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    if (d.code.startsWith("TL3") && syntaxAt.has(`${d.file}|${d.span.start}|${d.span.end}`)) return false;
    if (d.code !== "TL1003" && unterminated.has(`${d.file}|${d.span.start}`)) return false;
    if (d.code.startsWith("TL3") && brokenLines.has(`${d.file}|${d.range.start.line}`)) return false;
    // A setting reported missing while the text does not parse was most likely written but not read.
    if (d.code === "TL3001" && syntax.some((s) => s.file === d.file && s.severity === "error")) return false;
    if (baseMissing && d.code !== "TL2020" && !d.code.startsWith("TL1")) return false;
    if (d.code.startsWith("TL4") && d.severity !== "error" && unreadable.has(d.file)) return false;
    return true;
  });
  diagnostics.sort(compareDiagnostics);
  return { ...loaded, diagnostics, symbols, expressions: ctx.expressions, environment: env };
}

