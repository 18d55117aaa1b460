import { isoDateOf } from "../expression/literals.js";
import type { Value } from "../expression/value.js";
import type { CompiledPlaybook } from "../engine/compiled.js";
import type { AccountDecision } from "../engine/decision.js";
import type { DataEngine } from "../data/duckdb.js";
import { Sql } from "../data/sql.js";
import { FileSink, OutputError } from "./files.js";

/** A decision as written to files: dates as ISO text, fixed key order, nothing that depends on the clock. */
export function decisionRecord(plan: CompiledPlaybook, decision: AccountDecision): Record<string, unknown> {
  const date = (day: number | null) => (day === null ? null : isoDateOf(day));
  return {
    account: decision.account,
    as_of: isoDateOf(decision.day),
    playbook: { name: plan.name, version: plan.version ?? null, hash: plan.hash },
    health: decision.health
      ? {
          model: decision.health.model,
          score: decision.health.score,
          status: decision.health.status,
          trend: decision.health.trend,
          components: Object.fromEntries(decision.health.components.map((c) => [c.name, { score: c.score === null ? null : Math.round(c.score * 100) / 100, weight: Math.round(c.weight * 10000) / 10000, contribution: c.contribution, missing: c.missing, overridden: c.overridden }])),
          caps: decision.health.caps,
          grace: decision.health.grace,
        }
      : null,
    tier: decision.tier ?? null,
    segments: decision.segments,
    metrics: Object.fromEntries(Object.entries(decision.metrics).map(([k, v]) => [k, plainValue(v)])),
    onboarding: decision.onboarding
      ? {
          completion: Math.round(decision.onboarding.completion * 10000) / 10000,
          complete: decision.onboarding.complete,
          time_to_value_days: decision.onboarding.timeToValue,
          milestones: Object.fromEntries(decision.onboarding.milestones.map((m) => [m.name, { status: m.status, due: date(m.due), done_on: date(m.doneOn), ...(m.beforeTracking ? { before_tracking: true } : {}) }])),
        }
      : null,
    actions: decision.actions.map(({ sendAt, ...action }) => (sendAt === undefined ? action : { ...action, send_at: sendAt })),
    notices: decision.notices,
  };
}

function plainValue(value: Value): Value {
  return typeof value === "number" && !Number.isInteger(value) ? Math.round(value * 1e6) / 1e6 : value;
}

const CSV_COLUMNS = ["account", "as_of", "health_model", "health_score", "health_status", "health_trend", "tier", "tier_computed", "onboarding_completion", "overdue_milestones", "planned_actions", "actions", "notices"];

function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? "" : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Where decision lines go: a file under a temporary name until it is published. */
interface DecisionSink {
  write(text: string): void;
  finish(): Promise<void>;
  publish(): void;
  discard(): void;
}

/**
 * Decisions as Parquet: written as JSON Lines first, then converted by
 * DuckDB into the Parquet file's temporary name, published like the others.
 */
class ParquetSink implements DecisionSink {
  private readonly lines: FileSink;
  private readonly parquet: FileSink;

  constructor(
    readonly path: string,
    private readonly engine: DataEngine,
  ) {
    this.lines = new FileSink(`${path}.jsonl`);
    this.parquet = new FileSink(path);
  }

  write(text: string): void {
    this.lines.write(text);
  }

  async finish(): Promise<void> {
    this.lines.finish();
    this.parquet.finish();
    const sql = new Sql();
    try {
      await this.engine.run(`COPY (SELECT * FROM read_json(${sql.param(this.lines.temporaryPath)}, format = 'newline_delimited', maximum_object_size = 67108864)) TO ${sql.param(this.parquet.temporaryPath)} (FORMAT parquet)`, sql.params);
    } catch (error) {
      throw new OutputError(`cannot write ${this.path}: ${(error as Error).message}`);
    } finally {
      this.lines.discard();
    }
  }

  publish(): void {
    this.parquet.publish();
  }

  discard(): void {
    this.lines.discard();
    this.parquet.discard();
  }
}

/** A plain file sink for JSON Lines and CSV. */
class TextSink implements DecisionSink {
  private readonly file: FileSink;

  constructor(path: string) {
    this.file = new FileSink(path);
  }

  write(text: string): void {
    this.file.write(text);
  }

  async finish(): Promise<void> {
    this.file.finish();
  }

  publish(): void {
    this.file.publish();
  }

  discard(): void {
    this.file.discard();
  }
}

/**
 * Writes decisions as JSON Lines, CSV or Parquet (by the file's extension),
 * one record per account, in input order, under a temporary name until published.
 */
export class DecisionWriter {
  readonly sink: DecisionSink;
  private readonly csv: boolean;

  constructor(
    readonly path: string,
    private readonly plan: CompiledPlaybook,
    engine: DataEngine,
  ) {
    this.sink = /\.parquet$/i.test(path) ? new ParquetSink(path, engine) : new TextSink(path);
    this.csv = /\.csv$/i.test(path);
    // After the fixed columns, each health component's score and each metric, as a spreadsheet wants them: a column each.
    if (this.csv) this.sink.write(`${[...CSV_COLUMNS, ...plan.componentNames.map((c) => `health_${c}`), ...plan.metricNames.map((m) => `metric_${m}`)].map(csvCell).join(",")}\n`);
  }

  write(decision: AccountDecision): void {
    if (!this.csv) {
      this.sink.write(`${JSON.stringify(decisionRecord(this.plan, decision))}\n`);
      return;
    }
    const overdue = decision.onboarding?.milestones.filter((m) => m.status === "overdue").map((m) => m.name).join(" ") ?? "";
    const actions = decision.actions.map((a) => `${a.trigger}:${a.kind}:${a.target}:${a.status}`).join(" ");
    const row = [
      decision.account, isoDateOf(decision.day), decision.health?.model, decision.health?.score, decision.health?.status, decision.health?.trend,
      decision.tier?.value, decision.tier?.computed, decision.onboarding ? Math.round(decision.onboarding.completion * 10000) / 10000 : "", overdue,
      decision.actions.filter((a) => a.status === "planned").length, actions, decision.notices.join(" | "),
      ...this.plan.componentNames.map((name) => {
        const score = decision.health?.components.find((c) => c.name === name)?.score;
        return score === null || score === undefined ? "" : Math.round(score * 100) / 100;
      }),
      ...this.plan.metricNames.map((name) => plainValue(decision.metrics[name] ?? null)),
    ];
    this.sink.write(`${row.map(csvCell).join(",")}\n`);
  }
}
