import type { FieldEntry, FieldSpec, HealthModel, Playbook } from "./playbook.js";

type Json = unknown;

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * JSON Merge Patch (RFC 7396): how a playbook that `extends` a base, and a
 * health model that extends another, change only what differs. Objects merge
 * key by key, a `null` removes a key, anything else replaces.
 */
export function mergePatch(base: Json, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const result: Record<string, Json> = isObject(base) ? { ...base } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** A field entry in its long form, whichever way it was written. */
export function fieldSpec(entry: FieldEntry): FieldSpec {
  return typeof entry === "string" ? { type: entry } : entry;
}

/** The name the playbook's own `health` section goes by. */
export const DEFAULT_HEALTH_MODEL = "default";

/**
 * Every health model with its `extends` chain applied, the playbook's
 * `health` first under the name `default`. A chain that loops or names an
 * unknown model stops there (the checker reports it).
 */
export function effectiveHealthModels(playbook: Pick<Playbook, "health" | "health_models">): Map<string, HealthModel> {
  const declared = new Map<string, HealthModel>();
  if (playbook.health) declared.set(DEFAULT_HEALTH_MODEL, playbook.health);
  for (const [name, model] of Object.entries(playbook.health_models ?? {})) {
    if (isObject(model)) declared.set(name, model);
  }
  const resolved = new Map<string, HealthModel>();
  const resolve = (name: string, visiting: Set<string>): HealthModel | undefined => {
    const done = resolved.get(name);
    if (done) return done;
    const model = declared.get(name);
    if (!model) return undefined;
    let result = model;
    if (model.extends && !visiting.has(name)) {
      visiting.add(name);
      const base = resolve(model.extends, visiting);
      if (base) {
        const { when: _when, priority: _priority, description: _description, ...inherited } = base;
        result = mergePatch(inherited, model) as HealthModel;
      }
    }
    resolved.set(name, result);
    return result;
  };
  for (const name of declared.keys()) resolve(name, new Set());
  return resolved;
}
