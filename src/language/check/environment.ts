import type { RefNode } from "../../expression/ast.js";
import type { CheckEnvironment, NameInfo } from "../../expression/check.js";
import { enumType, parseTypeText, T, type Type, withNullable } from "../../expression/types.js";
import type { HealthModel, Playbook } from "../../model/playbook.js";
import { effectiveHealthModels, fieldSpec } from "../../model/resolve.js";
import type { Span } from "../../text/source.js";
import type { ModelPath } from "../source-map.js";
import type { CheckContext } from "./context.js";

/** A node of the dependency graph between definitions: "metric:x", "segment:x", "health", "tier", "onboarding". */
export type DefinitionNode = string;

export interface DependencyEdge {
  from: DefinitionNode;
  to: DefinitionNode;
  /** where `from` names `to`, for the cycle message */
  path: ModelPath;
  span: Span;
}

export const HEALTH_MEMBERS = ["score", "status", "trend", "model"] as const;
export const ONBOARDING_MEMBERS = ["completion", "complete"] as const;
export const MILESTONE_STATUS = enumType(["done", "on_track", "due_soon", "overdue"]);
export const HEALTH_STATUS = enumType(["green", "yellow", "red"]);

/**
 * The names expressions of one playbook can use, typed lazily: a metric's
 * type is known once its expression is checked, which happens the first time
 * anything names it. Every lookup also records an edge of the dependency
 * graph, from which cycles are found.
 */
export class PlaybookEnvironment implements CheckEnvironment {
  readonly fields = new Map<string, Type>();
  readonly eventTypes: Map<string, Map<string, Type>> | undefined;
  readonly edges: DependencyEdge[] = [];
  readonly healthModels: Map<string, HealthModel>;
  readonly componentNames: string[];
  readonly tierNames: string[];
  readonly milestoneNames: string[];
  private readonly metricTypes = new Map<string, Type | "checking">();
  private readonly segmentTypes = new Map<string, Type | "checking">();
  private componentTypes: Map<string, Type> | undefined;
  private readonly owners: { node: DefinitionNode; path: ModelPath }[] = [];
  private readonly rejectedMetrics: Set<string>;
  private readonly rejectedSegments: Set<string>;

  constructor(private readonly ctx: CheckContext) {
    const model = ctx.model;
    for (const [name, entry] of Object.entries(model.account ?? {})) {
      const spec = fieldSpec(entry);
      this.fields.set(name, (typeof spec.type === "string" && parseTypeText(spec.type)) || T.unknown);
    }
    // A field the schema rejected (no type written yet) is still a field: its uses are not unknown names on top of that one error.
    for (const name of ctx.rejectedNames("account")) if (!this.fields.has(name)) this.fields.set(name, T.unknown);
    this.rejectedMetrics = new Set(ctx.rejectedNames("metrics"));
    this.rejectedSegments = new Set(ctx.rejectedNames("segments"));
    if (model.events) {
      this.eventTypes = new Map();
      for (const [name, spec] of Object.entries(model.events)) {
        const properties = new Map<string, Type>();
        for (const [property, entry] of Object.entries(spec?.properties ?? {})) {
          properties.set(property, parseTypeText(fieldSpec(entry).type) ?? T.unknown);
        }
        this.eventTypes.set(name, properties);
      }
    }
    this.healthModels = effectiveHealthModels(model);
    this.componentNames = [...new Set([...this.healthModels.values()].flatMap((m) => Object.keys(m.components ?? {})))];
    this.tierNames = [...new Set((model.tiers?.rules ?? []).map((r) => r?.tier).filter((t): t is string => typeof t === "string"))];
    this.milestoneNames = Object.keys(model.onboarding?.milestones ?? {});
  }

  /** Runs `check` with `node` as the definition whose expressions are being read. */
  within<T>(node: DefinitionNode, path: ModelPath, check: () => T): T {
    this.owners.push({ node, path });
    try {
      return check();
    } finally {
      this.owners.pop();
    }
  }

  private edge(to: DefinitionNode, span: Span): void {
    const owner = this.owners[this.owners.length - 1];
    if (owner) this.edges.push({ from: owner.node, to, path: owner.path, span });
  }

  onReference(ref: RefNode, info: NameInfo): void {
    const to =
      info.kind === "metric" ? `metric:${ref.path[0]}` :
      info.kind === "segment" ? `segment:${ref.path[0]}` :
      ref.path[0] === "health" ? "health" :
      ref.path[0] === "tier" ? "tier" :
      ref.path[0] === "onboarding" ? "onboarding" : undefined;
    if (to) this.edge(to, ref.span);
  }

  resolve(path: readonly string[]): NameInfo | undefined {
    const [head, member, ...rest] = path;
    if (head === undefined || rest.length > 0) return undefined;
    if (member === undefined) {
      const field = this.fields.get(head);
      if (field) return { type: field, kind: "field", ...(field.nullable ? { missingBecause: `\`${head}\` is optional in the data contract` } : {}) };
      if (Object.hasOwn(this.ctx.model.metrics ?? {}, head)) {
        const type = this.metricType(head);
        return { type, kind: "metric", ...(type.nullable ? { missingBecause: `metric \`${head}\` can be missing` } : {}) };
      }
      if (Object.hasOwn(this.ctx.model.segments ?? {}, head)) return { type: this.segmentType(head), kind: "segment" };
      // A metric or segment the schema rejected (no value written yet) is still defined: its uses are not unknown names on top of that one error.
      if (this.rejectedMetrics.has(head)) return { type: T.unknown, kind: "metric" };
      if (this.rejectedSegments.has(head)) return { type: T.unknown, kind: "segment" };
      if (head === "tier" && this.tierNames.length > 0) {
        const hasDefault = (this.ctx.model.tiers?.rules ?? []).some((r) => r && r.when === undefined);
        return { type: enumType(this.tierNames, !hasDefault), kind: "builtin", ...(!hasDefault ? { missingBecause: "no tier rule is the default (otherwise)" } : {}) };
      }
      return undefined;
    }
    if (head === "health" && this.healthModels.size > 0) {
      switch (member) {
        case "score":
          return { type: T.number, kind: "builtin", description: "The health score, 0..100" };
        case "status":
          return { type: HEALTH_STATUS, kind: "builtin", description: "green, yellow or red" };
        case "trend":
          return { type: withNullable(T.number, true), kind: "builtin", description: "Change of the score since the trend window", missingBecause: "there is no score from that long ago yet" };
        case "model":
          return { type: enumType([...this.healthModels.keys()]), kind: "builtin", description: "The health model that applies" };
        default: {
          const type = this.componentTypeMap().get(member);
          return type ? { type, kind: "component", ...(type.nullable ? { missingBecause: `health component \`${member}\` is left out when its input is missing` } : {}) } : undefined;
        }
      }
    }
    if (head === "onboarding" && this.ctx.model.onboarding) {
      if (member === "completion") return { type: T.percent, kind: "builtin", description: "Share of milestones done" };
      if (member === "complete") return { type: T.bool, kind: "builtin", description: "Every milestone is done" };
      if (this.milestoneNames.includes(member)) return { type: MILESTONE_STATUS, kind: "milestone" };
    }
    return undefined;
  }

  namesUnder(prefix: readonly string[]): readonly string[] {
    if (prefix.length === 0) {
      const names = [...this.fields.keys(), ...Object.keys(this.ctx.model.metrics ?? {}), ...Object.keys(this.ctx.model.segments ?? {})];
      if (this.healthModels.size > 0) names.push("health");
      if (this.tierNames.length > 0) names.push("tier");
      if (this.ctx.model.onboarding) names.push("onboarding");
      return names;
    }
    if (prefix.length === 1 && prefix[0] === "health" && this.healthModels.size > 0) return [...HEALTH_MEMBERS, ...this.componentNames];
    if (prefix.length === 1 && prefix[0] === "onboarding" && this.ctx.model.onboarding) return [...ONBOARDING_MEMBERS, ...this.milestoneNames];
    return [];
  }

  metricType(name: string): Type {
    const known = this.metricTypes.get(name);
    if (known === "checking") return T.unknown;
    if (known) return known;
    this.metricTypes.set(name, "checking");
    const spec = this.ctx.model.metrics?.[name];
    const path = typeof spec === "string" ? ["metrics", name] : ["metrics", name, "value"];
    const checked = this.within(`metric:${name}`, path, () => this.ctx.checkExpressionAt(path, this));
    const type = checked?.type ?? T.unknown;
    this.metricTypes.set(name, type);
    return type;
  }

  segmentType(name: string): Type {
    const known = this.segmentTypes.get(name);
    if (known === "checking") return T.bool;
    if (known) return known;
    this.segmentTypes.set(name, "checking");
    const spec = this.ctx.model.segments?.[name];
    const path = typeof spec === "string" ? ["segments", name] : ["segments", name, "when"];
    this.within(`segment:${name}`, path, () => this.ctx.checkExpressionAt(path, this, { expect: "bool", role: `segment \`${name}\`` }));
    this.segmentTypes.set(name, T.bool);
    return T.bool;
  }

  /** Component types, from the component expressions of every health model (checked on first use). */
  componentTypeMap(): Map<string, Type> {
    if (this.componentTypes) return this.componentTypes;
    this.componentTypes = new Map(this.componentNames.map((name) => [name, T.number]));
    for (const [modelName, model] of this.healthModels) {
      const defaultPolicy = model.missing ?? "skip";
      for (const [name, component] of Object.entries(model.components ?? {})) {
        const path = declaredComponentPath(this.ctx.model, modelName, name, "score");
        const checked = this.within("health", path, () =>
          this.ctx.checkExpressionAt(path, this, { allowMissing: true, expect: "numeric", role: `health component \`${name}\`` }),
        );
        const policy = component?.missing ?? defaultPolicy;
        if (checked?.type.nullable && policy === "skip") this.componentTypes.set(name, withNullable(T.number, true));
      }
    }
    return this.componentTypes;
  }
}

/** Where a health model is written in the model: the default one is the `health` section. */
export function healthModelPath(modelName: string): ModelPath {
  return modelName === "default" ? ["health"] : ["health_models", modelName];
}

/**
 * Where a setting of a component of a health model is written: in the model
 * itself, or in the model it extends, following the chain.
 */
export function declaredComponentPath(playbook: Playbook, modelName: string, component: string, key: "score" | "weight" | "missing"): ModelPath {
  const seen = new Set<string>();
  let current: string | undefined = modelName;
  while (current !== undefined && !seen.has(current)) {
    seen.add(current);
    const declared: HealthModel | undefined = current === "default" ? playbook.health : playbook.health_models?.[current];
    if (declared?.components?.[component]?.[key] !== undefined) return [...healthModelPath(current), "components", component, key];
    current = declared?.extends;
  }
  return [...healthModelPath(modelName), "components", component, key];
}
