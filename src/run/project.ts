import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import type { AccountSource, JoinSpec } from "../data/accounts.js";
import type { EventSource, IdLookup } from "../data/events.js";
import type { FileSpec, InputFormat } from "../data/sources.js";
import { isKnownTimeZone } from "../engine/clock.js";
import { epochDayOf } from "../expression/literals.js";

const FORMATS = ["csv", "jsonl", "json", "parquet", "sqlite"] as const;
const Column = z.string().min(1);

const FileFields = {
  file: z.string().min(1).describe("The file, relative to touchline.yaml"),
  format: z.enum(FORMATS).optional().describe("csv, jsonl, json, parquet or sqlite; by default from the file's extension"),
  table: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "a table name: letters, digits and _").optional().describe("For an SQLite file: the table"),
  delimiter: z.string().length(1).optional().describe("For CSV: the separator between values (default ,)"),
};

const Join = z
  .object({
    ...FileFields,
    on: Column.optional().describe("The joined file's column with the account id (default: the accounts' id column name)"),
    latest: Column.optional().describe("When the joined file has several rows per account, the column whose greatest value picks the row"),
    columns: z.record(z.string(), Column).optional().describe("Contract field -> this file's column"),
  })
  .strict();

const Accounts = z.union([
  z.string().min(1),
  z
    .object({
      ...FileFields,
      id: Column.optional().describe("The column with the account id (default: id_field)"),
      columns: z.record(z.string(), Column).optional().describe("Contract field -> the export's column"),
      values: z.record(z.string(), z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))).optional().describe("Contract field -> { value as exported: value of the contract }"),
      join: z.array(Join).optional().describe("Further files whose columns complete each account"),
    })
    .strict(),
]);

const Lookup = z
  .object({
    ...FileFields,
    column: Column.describe("The events' column holding the key"),
    key: Column.optional().describe("The lookup file's column matching it (default: the same name)"),
    id: Column.optional().describe("The lookup file's column with the account id (default: id_field)"),
  })
  .strict();

const EventSourceConfig = z.union([
  z.string().min(1),
  z
    .object({
      ...FileFields,
      id: Column.optional().describe("The column with the account id (default: id_field)"),
      account_lookup: Lookup.optional().describe("When events carry another key (a subscription id): a file that maps it to the account id"),
      type: z.string().min(1).optional().describe("Every row is an event of this type"),
      type_column: Column.optional().describe("The column with the event type (default: type)"),
      timestamp: Column.optional().describe("The column with the date and time (default: timestamp)"),
      properties: z.record(z.string(), Column).optional().describe("Event property -> the export's column"),
    })
    .strict(),
]);

const History = z
  .object({
    snapshots: z
      .union([
        z.string().min(1),
        z.object({ ...FileFields, id: Column.optional(), as_of: Column.optional().describe("The column with the snapshot's date (default: as_of)"), columns: z.record(z.string(), Column).optional(), values: z.record(z.string(), z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))).optional() }).strict(),
      ])
      .optional()
      .describe("Rows of the data contract with the date each was true: an account's fields on day d are its latest snapshot on or before d"),
    events: z.union([EventSourceConfig, z.array(EventSourceConfig)]).optional().describe("Usage events over the whole period (default: the project's events)"),
    mrr: z.string().min(1).optional().describe("account_id, month (YYYY-MM), mrr and optionally product: the recurring revenue in effect each month"),
    outcomes: z.string().min(1).optional().describe("account_id, date, outcome (churned, renewed, expanded, contracted, renewal_due); derived from mrr when left out"),
  })
  .strict();

const Delivery = z
  .object({
    settings: z.string().min(1).optional().describe("A YAML file with the SMTP server, the sender, and the unsubscribe and webhook secrets; keep it out of version control. Environment variables (TOUCHLINE_SMTP_URL, ...) take precedence"),
    from: z.string().min(1).optional().describe("The sender of emails, e.g. \"Acme Customer Success <cs@acme.example>\" (or TOUCHLINE_MAIL_FROM)"),
    unsubscribe_url: z.string().url().optional().describe("Where unsubscribe links point; the signed token is added as ?token= (or TOUCHLINE_UNSUBSCRIBE_URL)"),
    holidays: z.array(z.string().regex(/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/, "a date as YYYY-MM-DD")).optional().describe("Days on which nothing but transactional messages goes out, in each account's time zone; what was due waits for the next allowed day"),
    rate: z.number().positive().optional().describe("At most this many deliveries per second, across every channel"),
    tasks: z.string().min(1).optional().describe("Where CSM tasks go: a JSON Lines file (default .touchline/tasks.jsonl), or an https:// URL to POST each task to"),
    max_attempts: z.number().int().min(1).max(50).optional().describe("Attempts for a delivery that fails for a passing reason before it is given up as dead (default 5)"),
    timeout: z.number().int().min(100).optional().describe("Milliseconds a webhook or the SMTP server has to answer (default 10000)"),
  })
  .strict();

const MaxRejects = z.union([z.number().int().min(0), z.string().regex(/^[0-9]+(\.[0-9]+)?%$/, "a count or a percentage such as 5%")]);

/** The small config file at a project's root that names its playbook, data and settings. */
export const ProjectConfig = z
  .object({
    playbook: z.string().min(1).optional().describe("The playbook file (or several, with playbooks)"),
    playbooks: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe("Several playbook files, evaluated on the same data one after the other; they share the state file, the outbox and its frequency caps, and each keeps its own state"),
    allow_folders: z.array(z.string().min(1)).optional().describe("Folders outside the project that playbooks may read from (extends, template files)"),
    accounts: Accounts,
    events: z.union([EventSourceConfig, z.array(EventSourceConfig)]).optional(),
    overrides: z.string().min(1).optional(),
    id_field: Column.default("account_id").describe("The column with the account id, for every input that does not name its own"),
    timezone: z.string().default("UTC").describe("For accounts without a time zone of their own"),
    state: z.string().min(1).default(".touchline/state.db").describe("What is remembered between runs (SQLite)"),
    max_rejects: MaxRejects.optional().describe("Fail the run when more input rows than this are rejected (a count or a percentage of the accounts); unset, a run fails when more than half the account rows are rejected"),
    history: History.optional().describe("The past, for touchline simulate and touchline kpi"),
    delivery: Delivery.optional().describe("How touchline run --send delivers: SMTP settings file, sender, holidays, rate, task sink"),
  })
  .strict();

export type ProjectConfig = z.infer<typeof ProjectConfig>;

export const CONFIG_FILE = "touchline.yaml";

/** A project's settings with every path made absolute. */
export interface Project {
  root: string;
  configFile: string;
  /** the first (or only) playbook */
  playbook: string;
  /** every playbook, in the order listed */
  playbooks: string[];
  /** the project lists its playbooks under `playbooks`: each keeps its state apart, under its name */
  statePerPlaybook: boolean;
  /** the project's root and the folders it allows: where playbooks may read */
  allowedFolders: string[];
  accounts: AccountSource;
  events: EventSource[];
  overrides: FileSpec | undefined;
  idField: string;
  timezone: string;
  state: string;
  maxRejects: { count: number } | { percent: number } | undefined;
  history: ProjectHistory | undefined;
  delivery: ProjectDelivery;
}

/** How `run --send` delivers; secrets are not here but in the settings file or the environment. */
export interface ProjectDelivery {
  settingsFile: string | undefined;
  from: string | undefined;
  unsubscribeUrl: string | undefined;
  holidays: string[];
  rate: number | undefined;
  /** a JSON Lines file (absolute) or a URL */
  tasks: string;
  maxAttempts: number;
  timeoutMs: number;
}

/** A project's past: snapshots of its accounts, its events, its revenue by month, its outcomes. */
export interface ProjectHistory {
  snapshots: (AccountSource & { asOf: string }) | undefined;
  events: EventSource[];
  mrr: FileSpec | undefined;
  outcomes: FileSpec | undefined;
}

function relativeTo(root: string, file: string): string {
  return file.startsWith(`${root}/`) ? file.slice(root.length + 1) : file;
}

/** A mistake in the project config: reported with its file, never as a stack trace. */
export class ProjectError extends Error {}

/** The project folder named on the command line has no touchline.yaml (or is no folder): the command used wrongly. */
export class ProjectNotFound extends ProjectError {}

/** touchline.yaml does not fit the project's schema: `check`'s diagnostics say where, each with its line. */
export class ProjectSchemaError extends ProjectError {
  constructor(
    message: string,
    readonly configFile: string,
  ) {
    super(message);
  }
}

function formatOf(file: string): InputFormat | undefined {
  if (/\.csv$|\.tsv$|\.txt$/i.test(file)) return "csv";
  if (/\.jsonl$|\.ndjson$/i.test(file)) return "jsonl";
  if (/\.json$/i.test(file)) return "json";
  if (/\.parquet$/i.test(file)) return "parquet";
  if (/\.(db|sqlite3?)$/i.test(file)) return "sqlite";
  return undefined;
}

function fileSpec(root: string, spec: { file: string; format?: InputFormat | undefined; table?: string | undefined; delimiter?: string | undefined }, what: string, configFile: string): FileSpec {
  const format = spec.format ?? formatOf(spec.file);
  if (!format) throw new ProjectError(`${configFile}: cannot tell the format of the ${what} file ${spec.file}; name it .csv, .jsonl, .json, .parquet or .db, or set format`);
  if (format === "sqlite" && !spec.table) throw new ProjectError(`${configFile}: the ${what} come from an SQLite file: say which table with table: <name>`);
  const delimiter = spec.delimiter ?? (/\.tsv$/i.test(spec.file) ? "\t" : undefined);
  return { file: resolve(root, spec.file), format, ...(spec.table ? { table: spec.table } : {}), ...(delimiter ? { delimiter } : {}) };
}

/** Reads `touchline.yaml` from a project folder (or the file itself). */
export function loadProject(path: string): Project {
  const configFile = existsSync(path) && statSync(path).isDirectory() ? join(path, CONFIG_FILE) : path;
  if (!existsSync(configFile)) throw new ProjectNotFound(`no ${CONFIG_FILE} in ${path}: a project folder names its playbook and data in ${CONFIG_FILE}`);
  if (!statSync(configFile).isFile()) throw new ProjectNotFound(`${configFile} is not a file`);
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
    throw new ProjectSchemaError(`${configFile}: ${issue.path.join(".") || "the file"}: ${issue.message}`, configFile);
  }
  const config = parsed.data;
  if ((config.playbook === undefined) === (config.playbooks === undefined)) {
    throw new ProjectError(`${configFile}: name the playbook with playbook: <file>, or several with playbooks: [<file>, ...]${config.playbook !== undefined ? ", not both" : ""}`);
  }
  const badHoliday = config.delivery?.holidays?.find((day) => epochDayOf(day) === undefined);
  if (badHoliday) throw new ProjectError(`${configFile}: delivery.holidays: ${badHoliday} is not a date in the calendar`);
  const playbooks = (config.playbooks ?? [config.playbook!]).map((file) => resolve(root, file));
  const repeated = playbooks.find((file, i) => playbooks.indexOf(file) !== i);
  if (repeated) throw new ProjectError(`${configFile}: playbooks lists ${relativeTo(root, repeated)} twice`);
  if (!isKnownTimeZone(config.timezone)) throw new ProjectError(`${configFile}: timezone: unknown time zone ${config.timezone} (use an IANA name such as Europe/Berlin or UTC)`);
  const accounts = typeof config.accounts === "string" ? { file: config.accounts } : config.accounts;
  const eventConfigs = config.events === undefined ? [] : Array.isArray(config.events) ? config.events : [config.events];
  const accountSource: AccountSource = {
    ...fileSpec(root, accounts, "accounts", configFile),
    id: ("id" in accounts ? accounts.id : undefined) ?? config.id_field,
    columns: ("columns" in accounts ? accounts.columns : undefined) ?? {},
    values: Object.fromEntries(Object.entries(("values" in accounts ? accounts.values : undefined) ?? {}).map(([field, mapping]) => [field, Object.fromEntries(Object.entries(mapping).map(([from, to]) => [from, String(to)]))])),
    joins: (("join" in accounts ? accounts.join : undefined) ?? []).map((join): JoinSpec => ({
      ...fileSpec(root, join, "joined", configFile),
      on: join.on ?? ("id" in accounts && accounts.id ? accounts.id : config.id_field),
      latest: join.latest,
      columns: join.columns ?? {},
    })),
  };
  const eventSource = (entry: z.infer<typeof EventSourceConfig>): EventSource => {
    const source = typeof entry === "string" ? { file: entry } : entry;
    const lookup = "account_lookup" in source ? source.account_lookup : undefined;
    return {
      ...fileSpec(root, source, "events", configFile),
      id: ("id" in source ? source.id : undefined) ?? config.id_field,
      lookup: lookup ? ({ ...fileSpec(root, lookup, "lookup", configFile), column: lookup.column, key: lookup.key ?? lookup.column, id: lookup.id ?? config.id_field } satisfies IdLookup) : undefined,
      type: "type" in source ? source.type : undefined,
      typeColumn: ("type_column" in source ? source.type_column : undefined) ?? "type",
      timestamp: ("timestamp" in source ? source.timestamp : undefined) ?? "timestamp",
      properties: ("properties" in source ? source.properties : undefined) ?? {},
    };
  };
  const events = eventConfigs.map(eventSource);
  const history = config.history;
  const snapshots = history?.snapshots === undefined ? undefined : typeof history.snapshots === "string" ? { file: history.snapshots } : history.snapshots;
  const historyEvents = history?.events === undefined ? undefined : Array.isArray(history.events) ? history.events : [history.events];
  const maxRejects = config.max_rejects === undefined ? undefined : typeof config.max_rejects === "number" ? { count: config.max_rejects } : { percent: Number(config.max_rejects.slice(0, -1)) };
  return {
    root,
    configFile,
    playbook: playbooks[0]!,
    playbooks,
    statePerPlaybook: config.playbooks !== undefined,
    allowedFolders: [root, ...(config.allow_folders ?? []).map((folder) => resolve(root, folder))],
    accounts: accountSource,
    events,
    overrides: config.overrides ? fileSpec(root, { file: config.overrides }, "overrides", configFile) : undefined,
    idField: config.id_field,
    timezone: config.timezone,
    state: resolve(root, config.state),
    maxRejects,
    delivery: {
      settingsFile: config.delivery?.settings ? resolve(root, config.delivery.settings) : undefined,
      from: config.delivery?.from,
      unsubscribeUrl: config.delivery?.unsubscribe_url,
      holidays: config.delivery?.holidays ?? [],
      rate: config.delivery?.rate,
      tasks: config.delivery?.tasks && /^https?:\/\//.test(config.delivery.tasks) ? config.delivery.tasks : resolve(root, config.delivery?.tasks ?? join(dirname(config.state), "tasks.jsonl")),
      maxAttempts: config.delivery?.max_attempts ?? 5,
      timeoutMs: config.delivery?.timeout ?? 10_000,
    },
    history: history
      ? {
          snapshots: snapshots
            ? {
                ...fileSpec(root, snapshots, "snapshots", configFile),
                id: ("id" in snapshots ? snapshots.id : undefined) ?? config.id_field,
                asOf: ("as_of" in snapshots ? snapshots.as_of : undefined) ?? "as_of",
                columns: ("columns" in snapshots ? snapshots.columns : undefined) ?? {},
                values: Object.fromEntries(Object.entries(("values" in snapshots ? snapshots.values : undefined) ?? {}).map(([field, mapping]) => [field, Object.fromEntries(Object.entries(mapping).map(([from, to]) => [from, String(to)]))])),
                joins: [],
              }
            : undefined,
          events: historyEvents ? historyEvents.map(eventSource) : events,
          mrr: history.mrr ? fileSpec(root, { file: history.mrr }, "mrr", configFile) : undefined,
          outcomes: history.outcomes ? fileSpec(root, { file: history.outcomes }, "outcomes", configFile) : undefined,
        }
      : undefined,
  };
}
