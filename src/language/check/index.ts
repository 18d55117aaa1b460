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
  checkCycles(ctx, env);
  const seen = new Set<string>();
  const diagnostics = [...loaded.diagnostics, ...ctx.diagnostics].filter((d) => {
    const key = `${d.file}|${d.span.start}|${d.span.end}|${d.code}|${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  diagnostics.sort(compareDiagnostics);
  return { ...loaded, diagnostics, symbols, expressions: ctx.expressions, environment: env };
}

