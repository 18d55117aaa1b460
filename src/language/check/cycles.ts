import type { CheckContext } from "./context.js";
import type { DependencyEdge, PlaybookEnvironment } from "./environment.js";

const NODE_LABELS: Record<string, string> = { health: "the health score", tier: "the tiers", onboarding: "onboarding", policies: "the policies" };

function label(node: string): string {
  const [kind, name] = node.split(":");
  return name === undefined ? NODE_LABELS[kind!] ?? `the ${kind}` : `${kind} \`${name}\``;
}

/** Definitions that depend on themselves, directly or through others, can never be computed. */
export function checkCycles(ctx: CheckContext, env: PlaybookEnvironment): void {
  const outgoing = new Map<string, DependencyEdge[]>();
  for (const edge of env.edges) {
    if (!outgoing.has(edge.from)) outgoing.set(edge.from, []);
    outgoing.get(edge.from)!.push(edge);
  }
  const state = new Map<string, "active" | "done">();
  const stack: DependencyEdge[] = [];
  const reported = new Set<string>();
  const visit = (node: string): void => {
    state.set(node, "active");
    for (const edge of outgoing.get(node) ?? []) {
      const next = state.get(edge.to);
      if (next === "active") {
        const start = stack.findIndex((e) => e.from === edge.to);
        const cycle = [...stack.slice(start < 0 ? stack.length : start), edge];
        const key = [...new Set(cycle.map((e) => e.from))].sort().join(",");
        if (!reported.has(key)) {
          reported.add(key);
          const names = [...cycle.map((e) => label(e.from)), label(edge.to)];
          const { source } = ctx.locate(edge.path);
          const message = cycle.length === 1 && edge.from === edge.to
            ? `${label(edge.from)} uses itself, so it can never be computed`
            : `these definitions depend on each other in a circle: ${names.join(" -> ")}`;
          ctx.reportAt("TL2015", source, edge.span, message);
        }
      } else if (next === undefined) {
        stack.push(edge);
        visit(edge.to);
        stack.pop();
      }
    }
    state.set(node, "done");
  };
  for (const node of [...outgoing.keys()].sort()) if (!state.has(node)) visit(node);
}
