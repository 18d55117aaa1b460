import type { SourceFile, Span } from "../text/source.js";

/** A path into the model: ["triggers", "adoption_nudge", "when"]. */
export type ModelPath = readonly (string | number)[];

export interface SourceEntry {
  /** where the value is written */
  span: Span;
  /** where its name is written, for map entries (`adoption:` or `metric adoption`) */
  keySpan?: Span;
  /**
   * Where the text of a string value starts in the file when it is copied
   * there character for character (a plain YAML scalar, a DSL expression):
   * an expression's diagnostics then point inside it exactly.
   */
  textOffset?: number;
  /**
   * For a string value spread over lines (a plain or folded YAML scalar),
   * where each of its characters is in the file, so its expression's
   * diagnostics still point at their own line and column.
   */
  textOffsets?: readonly number[];
}

export function pathKey(path: ModelPath): string {
  return path.join("/");
}

/**
 * Remembers where each node of a model was written. Both front doors fill
 * one, so checks report ranges without knowing the notation.
 */
export class SourceMap {
  private readonly entries = new Map<string, SourceEntry>();

  constructor(readonly source: SourceFile) {}

  set(path: ModelPath, entry: SourceEntry): void {
    this.entries.set(pathKey(path), entry);
  }

  get(path: ModelPath): SourceEntry | undefined {
    return this.entries.get(pathKey(path));
  }

  /** The entry of the path or of its nearest ancestor that was written down. */
  nearest(path: ModelPath): SourceEntry {
    for (let length = path.length; length >= 0; length--) {
      const entry = this.entries.get(pathKey(path.slice(0, length)));
      if (entry) return entry;
    }
    return { span: { start: 0, end: 0 } };
  }

  /** The span to underline for a problem with the value at `path`. */
  valueSpan(path: ModelPath): Span {
    return this.nearest(path).span;
  }

  /** The span of the name of the entry at `path`, or its value's when it has no name. */
  keySpan(path: ModelPath): Span {
    const entry = this.get(path);
    return entry?.keySpan ?? entry?.span ?? this.nearest(path).span;
  }

  has(path: ModelPath): boolean {
    return this.entries.has(pathKey(path));
  }

  /** Moves every entry at or under top-level key `from` to `to` (a misspelt section read as the one meant). */
  renameTop(from: string, to: string): void {
    for (const [key, entry] of [...this.entries]) {
      if (key !== from && !key.startsWith(`${from}/`)) continue;
      this.entries.delete(key);
      this.entries.set(to + key.slice(from.length), entry);
    }
  }
}

/**
 * The source maps of a playbook and the bases it extends, the playbook's own
 * first: a path is found where it was last written.
 */
export class LayeredSourceMap {
  constructor(readonly layers: readonly SourceMap[]) {}

  /** The layer and entry for the path, or for its deepest written ancestor. */
  locate(path: ModelPath): { map: SourceMap; entry: SourceEntry; exact: boolean } {
    for (let length = path.length; length >= 0; length--) {
      const prefix = path.slice(0, length);
      for (const map of this.layers) {
        const entry = map.get(prefix);
        if (entry) return { map, entry, exact: length === path.length };
      }
    }
    return { map: this.layers[0]!, entry: { span: { start: 0, end: 0 } }, exact: false };
  }
}
