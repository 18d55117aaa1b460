import { fileURLToPath, pathToFileURL } from "node:url";
import type { TextDocument } from "vscode-languageserver-textdocument";
import { checkText, notationOf, readFromDisk, type CheckedPlaybook } from "../../src/language/index.js";
import { isProjectFile } from "../../src/run/project-check.js";

export function uriToPath(uri: string): string {
  return uri.startsWith("file:") ? fileURLToPath(uri) : uri;
}

export function pathToUri(path: string): string {
  return path.startsWith("/") ? pathToFileURL(path).href : path;
}

/** Whether a document is a playbook: `.play`, or YAML with a `playbook:` key (a project's touchline.yaml names its playbook that way, and is not one). */
export function isPlaybook(document: TextDocument): boolean {
  if (isProjectFile(uriToPath(document.uri))) return false;
  const notation = notationOf(uriToPath(document.uri));
  if (notation === "play") return true;
  // YAML with a `playbook` key, in block or JSON style, and a new empty YAML file (about to become one).
  const text = document.getText();
  return notation === "yaml" && (text.trim() === "" || /^\s*\{?\s*["']?playbook["']?\s*:/m.test(text));
}

/**
 * The checked state of each open playbook, recomputed only when its text
 * changes. Files a playbook extends are read from open editors first.
 */
export class Analyses {
  private readonly cache = new Map<string, { version: number; checked: CheckedPlaybook }>();
  private readonly lastReadable = new Map<string, CheckedPlaybook>();

  constructor(private readonly openDocument: (uri: string) => TextDocument | undefined) {}

  /** Reads what a playbook refers to: the editor's text of open files first, then the disk. */
  readonly reader = (path: string): string | undefined => this.openDocument(pathToUri(path))?.getText() ?? readFromDisk(path);

  get(document: TextDocument): CheckedPlaybook {
    const cached = this.cache.get(document.uri);
    if (cached && cached.version === document.version) return cached.checked;
    const checked = checkText(uriToPath(document.uri), document.getText(), this.reader);
    this.cache.set(document.uri, { version: document.version, checked });
    if (checked.document.data !== undefined) this.lastReadable.set(document.uri, checked);
    return checked;
  }

  /**
   * For completion and hover while typing: when the text cannot be read at
   * all (YAML mid-edit), the last analysis that could.
   */
  forEditing(document: TextDocument): CheckedPlaybook {
    const checked = this.get(document);
    return checked.document.data !== undefined ? checked : (this.lastReadable.get(document.uri) ?? checked);
  }

  /**
   * The last complete analysis, even of an older version: for requests that
   * read only what is defined (completion in .play files), so they answer
   * at once while the check of the newest text waits for typing to pause.
   */
  latest(document: TextDocument): CheckedPlaybook {
    return this.lastReadable.get(document.uri) ?? this.cache.get(document.uri)?.checked ?? this.get(document);
  }

  forget(uri: string): void {
    this.cache.delete(uri);
    this.lastReadable.delete(uri);
  }
}
