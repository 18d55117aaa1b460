import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { parse } from "yaml";
import type { ReadFile } from "./document.js";

/** The largest file a playbook may read (a base playbook, a template): larger ones are refused, never read. */
export const MAX_PLAYBOOK_FILE_BYTES = 2 * 1024 * 1024;

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/**
 * Reads files for a playbook (the bases it extends, its template files) only
 * inside the given folders, after links are followed, only regular files,
 * and only up to a size: a playbook cannot make Touchline read /etc/shadow,
 * block on a FIFO or exhaust memory on /dev/zero.
 */
export function confinedReader(folders: readonly string[], maxBytes = MAX_PLAYBOOK_FILE_BYTES): ReadFile {
  const roots = folders.map(real);
  return (path) => {
    let target: string;
    try {
      target = realpathSync(path);
    } catch {
      return undefined;
    }
    if (!roots.some((root) => target === root || target.startsWith(root.endsWith(sep) ? root : root + sep))) {
      return { refused: `it is outside the project's folders (${roots.join(", ")}); add its folder to allow_folders in touchline.yaml to allow it` };
    }
    const stat = statSync(target);
    if (!stat.isFile()) return { refused: "it is not a regular file" };
    if (stat.size > maxBytes) return { refused: `it is larger than ${Math.round(maxBytes / 1024 / 1024)} MB` };
    try {
      return readFileSync(target, "utf8");
    } catch (error) {
      return { refused: (error as Error).message };
    }
  };
}

/**
 * The folders a playbook checked on its own may read from: those of the
 * nearest project (`touchline.yaml` in its folder or above, with its
 * allow_folders), else the playbook's own folder.
 */
export function foldersFor(playbook: string): string[] {
  let folder = dirname(resolve(playbook));
  for (;;) {
    const config = join(folder, "touchline.yaml");
    if (existsSync(config)) {
      try {
        const data = parse(readFileSync(config, "utf8")) as { allow_folders?: unknown } | null;
        const allowed = Array.isArray(data?.allow_folders) ? data.allow_folders.filter((f): f is string => typeof f === "string") : [];
        return [folder, ...allowed.map((f) => resolve(folder, f))];
      } catch {
        return [folder];
      }
    }
    const parent = dirname(folder);
    if (parent === folder) return [dirname(resolve(playbook))];
    folder = parent;
  }
}
