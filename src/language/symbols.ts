import type { Span } from "../text/source.js";
import type { ModelPath } from "./source-map.js";

export type SymbolKind =
  | "field"
  | "event"
  | "metric"
  | "segment"
  | "health-model"
  | "component"
  | "tier"
  | "milestone"
  | "trigger"
  | "template"
  | "offer"
  | "builtin";

/** A named thing a playbook defines. */
export interface Definition {
  kind: SymbolKind;
  name: string;
  file: string;
  /** where the name is written (what rename edits) */
  nameSpan: Span;
  /** the whole definition (what the outline selects) */
  span: Span;
  path: ModelPath;
  /** the static type, as text, when it has one */
  type?: string;
  description?: string;
}

/** A place that uses a definition by name. */
export interface Reference {
  kind: SymbolKind;
  name: string;
  file: string;
  span: Span;
}

export function symbolKey(kind: SymbolKind, name: string): string {
  return `${kind}:${name}`;
}

/**
 * Every definition and every reference of a checked playbook: what the
 * language server answers go to definition, find references, rename, hover
 * and the outline from.
 */
export class SymbolTable {
  readonly definitions: Definition[] = [];
  readonly references: Reference[] = [];
  private readonly byKey = new Map<string, Definition>();

  define(definition: Definition): void {
    this.definitions.push(definition);
    const key = symbolKey(definition.kind, definition.name);
    if (!this.byKey.has(key)) this.byKey.set(key, definition);
  }

  reference(reference: Reference): void {
    this.references.push(reference);
  }

  lookup(kind: SymbolKind, name: string): Definition | undefined {
    return this.byKey.get(symbolKey(kind, name));
  }

  referencesTo(kind: SymbolKind, name: string): Reference[] {
    return this.references.filter((r) => r.kind === kind && r.name === name);
  }

  /** The definition or reference at an offset of a file, if any. */
  at(file: string, offset: number): { kind: SymbolKind; name: string; span: Span } | undefined {
    const inside = (span: Span) => offset >= span.start && offset <= span.end;
    const reference = this.references.find((r) => r.file === file && inside(r.span));
    if (reference) return reference;
    const definition = this.definitions.find((d) => d.file === file && inside(d.nameSpan));
    return definition ? { kind: definition.kind, name: definition.name, span: definition.nameSpan } : undefined;
  }
}
