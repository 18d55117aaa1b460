import { isAbsolute, relative, sep } from "node:path";
import pc from "picocolors";
import type { Paint } from "../text/code-frame.js";

/** Where the CLI writes; tests and the language server pass their own. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  color: boolean;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith("\n") ? text : `${text}\n`),
  color: pc.isColorSupported && process.stdout.isTTY === true,
};

export function paintFor(io: Io): Paint {
  if (!io.color) return { red: (t) => t, yellow: (t) => t, cyan: (t) => t, dim: (t) => t, bold: (t) => t };
  return { red: pc.red, yellow: pc.yellow, cyan: pc.cyan, dim: pc.dim, bold: pc.bold };
}

/** Exit codes: 0 fine (warnings allowed), 1 the playbooks have errors, 2 the command was used wrongly. */
export const EXIT = { ok: 0, problems: 1, usage: 2 } as const;

/** A mistake in how the command was called: reported in one line, exit code 2. */
export class UsageError extends Error {}

/**
 * A file as a person at this terminal names it: relative to the working
 * folder when it is inside it, else as it is (../../work/shared/... helps no one).
 */
export function shownPath(file: string): string {
  if (!isAbsolute(file)) return file;
  const inside = relative(process.cwd(), file);
  return inside === "" || inside === ".." || inside.startsWith(`..${sep}`) || isAbsolute(inside) ? file : inside;
}
