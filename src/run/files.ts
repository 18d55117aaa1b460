import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, realpathSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

/** An output cannot be written (disk full, read-only, no permission): exit 2, the state unchanged. */
export class OutputError extends Error {}

/** Two paths of one command name the same file (an output over an input, the state as an output): exit 2. */
export class PathConflict extends Error {}

/** The file a path names once links are followed; for a file not there yet, its folder's real path and its name. */
export function canonicalPath(path: string): string {
  const absolute = resolve(path);
  try {
    return realpathSync(absolute);
  } catch {
    try {
      return join(realpathSync(dirname(absolute)), basename(absolute));
    } catch {
      return absolute;
    }
  }
}

/** Refuses outputs that would overwrite an input, the state file or each other, before anything is opened. */
export function assertSeparatePaths(inputs: readonly { what: string; path: string }[], outputs: readonly { what: string; path: string }[]): void {
  const taken = new Map<string, string>();
  for (const input of inputs) taken.set(canonicalPath(input.path), input.what);
  for (const output of outputs) {
    const path = canonicalPath(output.path);
    const other = taken.get(path);
    if (other !== undefined) throw new PathConflict(`${output.what} ${output.path} is the same file as ${other}: choose another path`);
    taken.set(path, output.what);
  }
}

function describeWriteError(path: string, error: unknown): OutputError {
  const code = (error as NodeJS.ErrnoException).code;
  const why = code === "ENOSPC" ? "the disk is full" : code === "EROFS" ? "the file system is read-only" : code === "EACCES" || code === "EPERM" ? "permission denied" : code === "ENOTDIR" || code === "ENOENT" ? "its folder cannot be created" : (error as Error).message;
  return new OutputError(`cannot write ${path}: ${why}`);
}

/**
 * Creates a folder and the folders above it that are missing. Node's own
 * recursive mkdir never returns for some paths (under /proc it loops on
 * EEXIST and ENOENT); this one creates each level in turn and fails with
 * the error of the first level that cannot be made.
 */
export function makeFolders(path: string): void {
  const missing: string[] = [];
  let dir = resolve(path);
  while (!existsSync(dir)) {
    missing.push(dir);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  for (const folder of missing.reverse()) {
    try {
      mkdirSync(folder);
    } catch (error) {
      // Another process (a second run starting at the same moment) made it first: it is there, which is all that is asked.
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || !statSync(folder).isDirectory()) throw error;
    }
  }
}

let sinkCount = 0;

/**
 * An output file written under a temporary name in large chunks, and put
 * in place by a rename only once everything else succeeded: a killed or
 * failed run never leaves a half file under the final name.
 */
export class FileSink {
  private readonly temporary: string;
  private fd: number | undefined;
  private buffer: string[] = [];
  private buffered = 0;

  constructor(readonly path: string) {
    this.temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${++sinkCount}.partial`);
    try {
      makeFolders(dirname(path));
      this.fd = openSync(this.temporary, "w");
    } catch (error) {
      throw describeWriteError(path, error);
    }
  }

  write(text: string): void {
    this.buffer.push(text);
    this.buffered += text.length;
    if (this.buffered >= 1 << 20) this.flush();
  }

  private flush(): void {
    if (this.buffered === 0 || this.fd === undefined) return;
    const data = this.buffer.join("");
    this.buffer = [];
    this.buffered = 0;
    try {
      writeSync(this.fd, data);
    } catch (error) {
      throw describeWriteError(this.path, error);
    }
  }

  /** Writes what is buffered and makes it durable; the file keeps its temporary name until `publish`. */
  finish(): void {
    this.flush();
    if (this.fd === undefined) return;
    try {
      fsyncSync(this.fd);
      closeSync(this.fd);
    } catch (error) {
      throw describeWriteError(this.path, error);
    } finally {
      this.fd = undefined;
    }
  }

  /** Gives the finished file its final name. */
  publish(): void {
    try {
      renameSync(this.temporary, this.path);
    } catch (error) {
      throw describeWriteError(this.path, error);
    }
  }

  /** Removes the temporary file (after a failure). */
  discard(): void {
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        // already unusable
      }
      this.fd = undefined;
    }
    try {
      unlinkSync(this.temporary);
    } catch {
      // nothing to remove
    }
  }

  get temporaryPath(): string {
    return this.temporary;
  }
}
