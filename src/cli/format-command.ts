import { writeFileSync } from "node:fs";
import { convertPlaybook, findPlaybookFiles, formatPlay, notationOf, readFromDisk } from "../language/index.js";
import { renderDiagnostic } from "../text/code-frame.js";
import type { Diagnostic } from "../text/diagnostic.js";
import { SourceFile } from "../text/source.js";
import { EXIT, paintFor, UsageError, type Io } from "./output.js";

function reportFailure(io: Io, file: string, text: string, diagnostics: Diagnostic[], what: string): void {
  const source = new SourceFile(file, text);
  for (const d of diagnostics) io.err(renderDiagnostic(d, source, paintFor(io), file));
  io.err(`${file}: not ${what}: fix the errors above first`);
}

/** `touchline fmt`: rewrites `.play` files in their canonical layout (or only checks with --check). */
export function runFormat(paths: string[], options: { check: boolean; stdout: boolean }, io: Io): number {
  const { files, missing } = findPlaybookFiles(paths.length > 0 ? paths : ["."]);
  if (missing.length > 0) throw new UsageError(`no such file or folder: ${missing.join(", ")}`);
  const playFiles = files.filter((f) => notationOf(f) === "play");
  if (playFiles.length === 0) throw new UsageError("no .play files to format");
  let status: number = EXIT.ok;
  const unformatted: string[] = [];
  for (const file of playFiles) {
    const text = readFromDisk(file)!;
    const result = formatPlay(file, text);
    if (result.text === undefined) {
      reportFailure(io, file, text, result.diagnostics, "formatted");
      status = EXIT.problems;
      continue;
    }
    if (options.stdout) io.out(result.text);
    else if (result.text !== text) {
      if (options.check) unformatted.push(file);
      else {
        writeFileSync(file, result.text);
        io.err(`formatted ${file}`);
      }
    }
  }
  if (unformatted.length > 0) {
    io.err(`not in canonical layout (run touchline fmt): ${unformatted.join(", ")}`);
    status = EXIT.problems;
  }
  return status;
}

/** `touchline convert`: the same playbook in the other notation. */
export function runConvert(file: string, options: { to: string; out?: string }, io: Io): number {
  if (options.to !== "play" && options.to !== "yaml") throw new UsageError(`--to must be play or yaml, not ${options.to}`);
  const text = readFromDisk(file);
  if (text === undefined) throw new UsageError(`cannot read ${file}`);
  const result = convertPlaybook(file, text, options.to);
  if (result.text === undefined) {
    reportFailure(io, file, text, result.diagnostics, "converted");
    return EXIT.problems;
  }
  if (options.out) {
    writeFileSync(options.out, result.text);
    io.err(`wrote ${options.out}`);
  } else io.out(result.text);
  return EXIT.ok;
}
