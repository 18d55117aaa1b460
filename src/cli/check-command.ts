import { resolve } from "node:path";
import { checkText, findPlaybookFiles, readFromDisk } from "../language/index.js";
import { checkProjectFile, isProjectFile } from "../run/project-check.js";
import { renderDiagnostic } from "../text/code-frame.js";
import type { Diagnostic } from "../text/diagnostic.js";
import { counted } from "../text/counted.js";
import { SourceFile } from "../text/source.js";
import { EXIT, paintFor, shownPath, UsageError, type Io } from "./output.js";

export interface CheckOptions {
  format: "human" | "json";
}


/** `touchline check`: every problem in every playbook under the given paths. */
export function runCheck(paths: string[], options: CheckOptions, io: Io): number {
  const { files, missing } = findPlaybookFiles(paths.length > 0 ? paths : ["."]);
  if (missing.length > 0) throw new UsageError(`no such file or folder: ${missing.join(", ")}`);
  if (files.length === 0) throw new UsageError(`no playbooks (.play, .yaml, .yml) found in ${paths.join(", ") || "."}`);
  const all: Diagnostic[] = [];
  const sources = new Map<string, SourceFile>();
  const seen = new Set<string>();
  let playbooks = 0;
  for (const file of files) {
    const text = readFromDisk(file);
    if (text === undefined) throw new UsageError(`cannot read ${file}`);
    // A project file is checked as a project (its own schema), never as a playbook.
    const project = isProjectFile(file) ? checkProjectFile(resolve(file), text) : undefined;
    const checked = project ? undefined : checkText(file, text);
    if (checked) playbooks++;
    for (const source of project ? [project.source] : checked!.layers.map((l) => l.source)) sources.set(source.path, source);
    for (const diagnostic of project ? project.diagnostics : checked!.diagnostics) {
      const key = `${diagnostic.file}|${diagnostic.span.start}|${diagnostic.code}|${diagnostic.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      all.push(diagnostic);
    }
  }
  const errors = all.filter((d) => d.severity === "error").length;
  const warnings = all.filter((d) => d.severity === "warning").length;
  const display = shownPath;
  if (options.format === "json") {
    const report = {
      files: files.map((f) => display(resolve(f))),
      errors,
      warnings,
      diagnostics: all.map((d) => ({
        file: display(d.file),
        code: d.code,
        severity: d.severity,
        message: d.message,
        range: { start: { line: d.range.start.line + 1, column: d.range.start.character + 1 }, end: { line: d.range.end.line + 1, column: d.range.end.character + 1 } },
        ...(d.fixes ? { fixes: d.fixes.map((f) => ({ title: f.title, edits: f.edits.map((e) => ({ file: display(e.file), start: e.span.start, end: e.span.end, newText: e.newText })) })) } : {}),
      })),
    };
    io.out(JSON.stringify(report, null, 2));
  } else {
    const paint = paintFor(io);
    for (const diagnostic of all) io.out(`${renderDiagnostic(diagnostic, sources.get(diagnostic.file), paint, display(diagnostic.file))}\n`);
    const what = playbooks === files.length ? counted(files.length, "playbook") : `${counted(playbooks, "playbook")} and ${counted(files.length - playbooks, "project file")}`;
    const summary = errors + warnings === 0 ? `${what} checked: no problems` : `${what} checked: ${counted(errors, "error")}, ${counted(warnings, "warning")}`;
    io.out(errors > 0 ? paint.red(summary) : summary);
  }
  return errors > 0 ? EXIT.problems : EXIT.ok;
}
