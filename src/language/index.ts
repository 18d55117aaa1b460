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
export function checkText(path: string, text: string, readFile: ReadFile = confinedReader(foldersFor(path))): CheckedPlaybook {
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

/** The canonical layout of a `.play` text, keeping its comments; undefined when it has syntax errors. */
export function formatPlay(path: string, text: string): FormatResult {
  const document = parseDocument(resolve(path), text, "play");
  const syntaxErrors = document.diagnostics.filter((d) => d.code.startsWith("TL1") || d.code === "TL2001");
  if (!document.syntaxOk || !document.data) return { text: undefined, diagnostics: syntaxErrors.length > 0 ? syntaxErrors : document.diagnostics };
  const model = document.data as Parameters<typeof printDsl>[0];
  const comments = attachComments(document.comments, document.map, statementPaths(model));
  return { text: printDsl(model, comments), diagnostics: [] };
}

/** Converts a playbook text to the other notation; undefined when it cannot be read. */
export function convertPlaybook(path: string, text: string, to: Notation): FormatResult {
  const document = parseDocument(resolve(path), text);
  const blocking = document.diagnostics.filter((d) => d.severity === "error");
  if (!document.syntaxOk || !document.data || blocking.length > 0) return { text: undefined, diagnostics: blocking.length > 0 ? blocking : document.diagnostics };
  const model = canonicalPlaybook(document.data as Parameters<typeof printDsl>[0]);
  return { text: to === "play" ? printDsl(model) : printYaml(model), diagnostics: [] };
}
