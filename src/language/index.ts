import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Diagnostic } from "../text/diagnostic.js";
import { canonicalPlaybook } from "./canonical.js";
import { confinedReader, foldersFor } from "./confine.js";
import { checkPlaybook, type CheckedPlaybook } from "./check/index.js";
import { loadPlaybook, notationOf, parseDocument, type Notation, type ReadFile } from "./document.js";
import { attachComments, printDsl, statementPaths } from "./dsl/print.js";
import { printYaml } from "./yaml/print.js";

export { checkPlaybook, type CheckedPlaybook } from "./check/index.js";
export { loadPlaybook, notationOf, parseDocument, type Notation, type ParsedDocument, type ReadFile, type ReadResult } from "./document.js";

/** Reads files from disk, unconfined (the file the user named); undefined for a file that is missing or unreadable. */
export const readFromDisk = (path: string): string | undefined => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
};

/** Parses, merges and checks one playbook text: the whole pipeline of `touchline check`. */
export function checkText(path: string, text: string, readFile?: ReadFile): CheckedPlaybook {
  readFile ??= confinedReader(foldersFor(path));
  const document = parseDocument(resolve(path), text);
  return checkPlaybook(loadPlaybook(document, readFile), readFile);
}

/** The playbook files under the given files and folders, sorted, skipping node_modules and dot folders. */
export function findPlaybookFiles(paths: readonly string[]): { files: string[]; missing: string[] } {
  const files: string[] = [];
  const missing: string[] = [];
  const visit = (path: string, explicit: boolean) => {
    if (!existsSync(path)) {
      missing.push(path);
      return;
    }
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path).sort()) {
        if (entry.startsWith(".") || entry === "node_modules") continue;
        visit(join(path, entry), false);
      }
    } else if (explicit || notationOf(path)) {
      files.push(path);
    }
  };
  for (const path of paths) visit(path, true);
  return { files: [...new Set(files)], missing };
}

export interface FormatResult {
  text: string | undefined;
  diagnostics: Diagnostic[];
}

/**
 * Why a playbook may not be rewritten, if it may not: any error at all. A
 * formatter that printed from a model with errors would print what the
 * checker pruned (a setting it rejected, a value it could not read) as
 * missing, and lose code; so fmt, convert and the editor's formatting
 * refuse instead, with the diagnostics.
 */
function blockingErrors(path: string, text: string, readFile: ReadFile | undefined): Diagnostic[] {
  const checked = checkText(path, text, readFile);
  return checked.diagnostics.filter((d) => d.severity === "error" && d.file === resolve(path));
}

/** The canonical layout of a `.play` text, keeping its comments; undefined when it has errors (then the file is left as it is). */
export function formatPlay(path: string, text: string, readFile?: ReadFile): FormatResult {
  const document = parseDocument(resolve(path), text, "play");
  const errors = document.syntaxOk && document.data ? blockingErrors(path, text, readFile) : document.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0 || !document.data) return { text: undefined, diagnostics: errors.length > 0 ? errors : document.diagnostics };
  const model = document.data as Parameters<typeof printDsl>[0];
  const comments = attachComments(document.comments, document.map, statementPaths(model));
  const printed = printDsl(model, comments);
  // The file's line endings are kept.
  return { text: text.includes("\r\n") ? printed.replace(/\n/g, "\r\n") : printed, diagnostics: [] };
}

/** Converts a playbook text to the other notation; undefined when it has errors. */
export function convertPlaybook(path: string, text: string, to: Notation, readFile?: ReadFile): FormatResult {
  const document = parseDocument(resolve(path), text);
  const errors = document.syntaxOk && document.data ? blockingErrors(path, text, readFile) : document.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0 || !document.data) return { text: undefined, diagnostics: errors.length > 0 ? errors : document.diagnostics };
  const model = canonicalPlaybook(document.data as Parameters<typeof printDsl>[0]);
  // Comments travel with the statements they belong to (an editor modeline for the YAML schema stays behind).
  const comments = attachComments(document.comments.filter((c) => !/^#\s*yaml-language-server:/.test(c.text)), document.map, statementPaths(model));
  const asDsl = { ...comments, leading: mapLines(comments.leading, toDslComment), after: mapLines(comments.after, toDslComment), trailing: new Map([...comments.trailing].map(([k, v]) => [k, toDslComment(v)])), tail: comments.tail.map(toDslComment) };
  return { text: to === "play" ? printDsl(model, asDsl) : printYaml(model, comments), diagnostics: [] };
}

const toDslComment = (text: string) => (text.startsWith("#") ? `//${text.slice(1)}` : text);
const mapLines = (map: Map<string, string[]>, fn: (line: string) => string) => new Map([...map].map(([key, lines]) => [key, lines.map(fn)]));
