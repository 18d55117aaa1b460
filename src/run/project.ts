import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parse } from "yaml";
import { z } from "zod";

/** Where a table of accounts comes from: a file (CSV, JSON Lines, JSON) or a table of an SQLite file. */
const Source = z.union([
  z.string(),
  z
    .object({
      file: z.string(),
      format: z.enum(["csv", "jsonl", "json", "sqlite"]).optional(),
      table: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional(),
    })
    .strict(),
]);

/** The small config file at a project's root that names its playbook, data and settings. */
export const ProjectConfig = z
  .object({
    playbook: z.string(),
    accounts: Source,
    events: Source.optional(),
    overrides: z.string().optional(),
    id_field: z.string().default("account_id"),
    timezone: z.string().default("UTC"),
    state: z.string().default(".touchline/state.db"),
  })
  .strict();

export type ProjectConfig = z.infer<typeof ProjectConfig>;
export type SourceSpec = { file: string; format: "csv" | "jsonl" | "json" | "sqlite"; table?: string };

export const CONFIG_FILE = "touchline.yaml";

/** A project's settings with every path made absolute. */
export interface Project {
  root: string;
  configFile: string;
  playbook: string;
  accounts: SourceSpec;
  events: SourceSpec | undefined;
  overrides: string | undefined;
  idField: string;
  timezone: string;
  state: string;
}

/** A mistake in the project config: reported with its file, never as a stack trace. */
export class ProjectError extends Error {}

function formatOf(file: string): SourceSpec["format"] | undefined {
  if (/\.csv$/i.test(file)) return "csv";
  if (/\.jsonl$|\.ndjson$/i.test(file)) return "jsonl";
  if (/\.json$/i.test(file)) return "json";
  if (/\.(db|sqlite3?)$/i.test(file)) return "sqlite";
  return undefined;
}

function sourceSpec(root: string, source: z.infer<typeof Source>, what: string, configFile: string): SourceSpec {
  const spec = typeof source === "string" ? { file: source } : source;
  const format = spec.format ?? formatOf(spec.file);
  if (!format) throw new ProjectError(`${configFile}: cannot tell the format of ${what} file ${spec.file}; name it .csv, .jsonl, .json or .db, or set format`);
  if (format === "sqlite" && !spec.table) throw new ProjectError(`${configFile}: ${what} come from an SQLite file: say which table with table: <name>`);
  return { file: resolve(root, spec.file), format, ...(spec.table ? { table: spec.table } : {}) };
}

/** Reads `touchline.yaml` from a project folder (or the file itself). */
export function loadProject(path: string): Project {
  const configFile = existsSync(path) && statSync(path).isDirectory() ? join(path, CONFIG_FILE) : path;
  if (!existsSync(configFile)) throw new ProjectError(`no ${CONFIG_FILE} in ${path}: a project folder names its playbook and data in ${CONFIG_FILE}`);
  const root = dirname(resolve(configFile));
  let raw: unknown;
  try {
    raw = parse(readFileSync(configFile, "utf8"));
  } catch (error) {
    throw new ProjectError(`${configFile}: not valid YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  const parsed = ProjectConfig.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ProjectError(`${configFile}: ${issue.path.join(".") || "the file"}: ${issue.message}`);
  }
  const config = parsed.data;
  return {
    root,
    configFile,
    playbook: resolve(root, config.playbook),
    accounts: sourceSpec(root, config.accounts, "accounts", configFile),
    events: config.events ? sourceSpec(root, config.events, "events", configFile) : undefined,
    overrides: config.overrides ? resolve(root, config.overrides) : undefined,
    idField: config.id_field,
    timezone: config.timezone,
    state: resolve(root, config.state),
  };
}
