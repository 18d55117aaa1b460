import { CompletionItemKind, InsertTextFormat, MarkupKind, type CompletionItem } from "vscode-languageserver/node";
import { FUNCTIONS } from "../../src/expression/functions.js";
import type { CheckedPlaybook } from "../../src/language/check/index.js";
import { TEMPLATE_HEALTH_MEMBERS, TEMPLATE_OFFER_MEMBERS, TEMPLATE_ROOTS } from "../../src/language/check/templates.js";
import { playbookJsonSchema } from "../../src/model/json-schema.js";
import type { CompletionContext } from "./context.js";
import { BLOCK_KEYWORDS, DURATIONS, KEYWORD_DOCS, TYPES } from "./knowledge.js";

const doc = (value: string | undefined) => (value ? { kind: MarkupKind.Markdown, value } : undefined);

/** The completion items for a context, from what the checked playbook defines. */
export function completions(context: CompletionContext, checked: CheckedPlaybook): CompletionItem[] {
  const symbols = checked.symbols;
  const env = checked.environment;
  switch (context.kind) {
    case "expression": {
      if (context.member) {
        const members = env.namesUnder([context.member]);
        return members.map((name) => {
          const info = env.resolve([context.member!, name]);
          return { label: name, kind: CompletionItemKind.Property, detail: info ? `${context.member}.${name}: ${info.type.name}${info.type.nullable ? "?" : ""}` : undefined, documentation: doc(info?.description) };
        });
      }
      const names: CompletionItem[] = [];
      for (const definition of symbols.definitions) {
        if (definition.kind !== "field" && definition.kind !== "metric" && definition.kind !== "segment") continue;
        names.push({ label: definition.name, kind: definition.kind === "field" ? CompletionItemKind.Field : definition.kind === "metric" ? CompletionItemKind.Variable : CompletionItemKind.Constant, detail: `${definition.kind}: ${definition.type ?? ""}`, documentation: doc(definition.description) });
      }
      for (const builtin of ["health", "tier", "onboarding"]) if (env.namesUnder([]).includes(builtin)) names.push({ label: builtin, kind: CompletionItemKind.Module });
      for (const spec of FUNCTIONS.values()) {
        names.push({ label: spec.name, kind: CompletionItemKind.Function, detail: spec.signature, documentation: doc(spec.doc), insertText: `${spec.name}($0)`, insertTextFormat: InsertTextFormat.Snippet });
      }
      for (const word of ["and", "or", "not", "in", "true", "false", "null"]) names.push({ label: word, kind: CompletionItemKind.Keyword });
      return names;
    }
    case "placeholder": {
      // What a template is rendered with: the account's fields, the metrics, health and the offer (src/actions/render.ts).
      if (context.root === undefined) return TEMPLATE_ROOTS.map((root) => ({ label: root, kind: CompletionItemKind.Module }));
      if (context.root === "account" || context.root === "metrics") {
        const kind = context.root === "account" ? "field" : "metric";
        const items = symbols.definitions.filter((d) => d.kind === kind).map((d) => ({ label: d.name, kind: kind === "field" ? CompletionItemKind.Field : CompletionItemKind.Variable, detail: `${kind}: ${d.type ?? ""}`, documentation: doc(d.description) }));
        return context.root === "account" ? [{ label: "id", kind: CompletionItemKind.Field, detail: "the account's id" }, ...items] : items;
      }
      return (context.root === "health" ? TEMPLATE_HEALTH_MEMBERS : TEMPLATE_OFFER_MEMBERS).map((name) => ({ label: name, kind: CompletionItemKind.Property }));
    }
    case "string": {
      const kind = context.of;
      if (kind === "event") return Object.keys(checked.model.events ?? {}).map((name) => ({ label: name, kind: CompletionItemKind.Event }));
      return symbols.definitions.filter((d) => d.kind === kind).map((d) => ({ label: d.name, kind: kind === "template" ? CompletionItemKind.File : CompletionItemKind.Value, documentation: doc(d.description) }));
    }
    case "scope":
      return [
        ...env.tierNames.map((name) => ({ label: name, kind: CompletionItemKind.EnumMember, detail: "tier" })),
        ...Object.keys(checked.model.segments ?? {}).map((name) => ({ label: name, kind: CompletionItemKind.Constant, detail: "segment" })),
      ];
    case "duration":
      return DURATIONS.map((d, i) => ({ label: d, kind: CompletionItemKind.Unit, sortText: String(i).padStart(2, "0") }));
    case "type":
      return TYPES.map((t) => ({ label: t, kind: CompletionItemKind.TypeParameter, ...(t === "enum()" ? { insertText: "enum($0)", insertTextFormat: InsertTextFormat.Snippet } : {}) }));
    case "keyword":
      return (BLOCK_KEYWORDS[context.block] ?? []).map((word) => ({ label: word, kind: CompletionItemKind.Keyword, documentation: doc(KEYWORD_DOCS[word]) }));
    case "yaml-key":
      return schemaKeys(context.path).map(({ name, description }) => ({ label: name, kind: CompletionItemKind.Property, documentation: doc(description), insertText: `${name}: ` }));
    default:
      return [];
  }
}

type Schema = { properties?: Record<string, Schema>; additionalProperties?: Schema | boolean; items?: Schema; anyOf?: Schema[]; description?: string };

/** The keys the JSON Schema allows at a path of the YAML form. */
export function schemaKeys(path: readonly (string | number)[]): { name: string; description: string | undefined }[] {
  let nodes: Schema[] = [playbookJsonSchema() as Schema];
  for (const part of path) {
    const next: Schema[] = [];
    for (const node of expand(nodes)) {
      if (node.properties && typeof part === "string" && node.properties[part]) next.push(node.properties[part]!);
      else if (node.additionalProperties && typeof node.additionalProperties === "object") next.push(node.additionalProperties);
      if (node.items) next.push(...expand([node.items]).flatMap((item) => (item.properties && typeof part === "string" && item.properties[part] ? [item.properties[part]!] : [])));
    }
    nodes = next;
  }
  const keys = new Map<string, string | undefined>();
  for (const node of expand(nodes)) {
    for (const [name, property] of Object.entries(node.properties ?? {})) if (!keys.has(name)) keys.set(name, property.description);
    if (node.items) for (const item of expand([node.items])) for (const [name, property] of Object.entries(item.properties ?? {})) if (!keys.has(name)) keys.set(name, property.description);
  }
  return [...keys].map(([name, description]) => ({ name, description }));
}

function expand(nodes: Schema[]): Schema[] {
  return nodes.flatMap((node) => (node.anyOf ? expand(node.anyOf) : [node]));
}

