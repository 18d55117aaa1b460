/** One problem with one input record: which field (if any), what, and its code for grouping. */
export interface RecordProblem {
  field: string | null;
  message: string;
  /** groups problems of the same kind in the summary ("expected one of..." for every row of one column) */
  kind: string;
}

/** A record that was not used, with where it is and why. */
export interface RejectedRecord {
  file: string;
  /** the line (CSV, JSON Lines), item (JSON) or row (Parquet, SQLite) */
  line: number;
  problems: RecordProblem[];
  /** the record's values as read, for the rejects file */
  row?: Record<string, unknown>;
}

/** Problems of one kind in one column of one file: how many, and the first few. */
export interface RejectGroup {
  file: string;
  field: string | null;
  kind: string;
  count: number;
  examples: { line: number; message: string }[];
}

const EXAMPLES = 3;

/**
 * Every rejected record of a run: streamed to the rejects file as it is
 * found (one JSON line each), and summarised by file, field and kind of
 * problem for the terminal, so one recurring mistake reads as one line.
 */
export class Rejections {
  private readonly groupsByKey = new Map<string, RejectGroup>();
  private first: RejectedRecord | undefined;
  records = 0;

  constructor(private readonly write: (line: string) => void = () => {}) {}

  add(record: RejectedRecord): void {
    this.records++;
    if (!this.first || (record.file === this.first.file && record.line < this.first.line)) this.first = record;
    this.write(JSON.stringify({ file: record.file, line: record.line, problems: record.problems.map((p) => ({ field: p.field, message: p.message })), ...(record.row ? { row: record.row } : {}) }));
    for (const problem of record.problems) {
      const key = `${record.file}\u0000${problem.field ?? ""}\u0000${problem.kind}`;
      let group = this.groupsByKey.get(key);
      if (!group) {
        group = { file: record.file, field: problem.field, kind: problem.kind, count: 0, examples: [] };
        this.groupsByKey.set(key, group);
      }
      group.count++;
      if (group.examples.length < EXAMPLES) group.examples.push({ line: record.line, message: problem.message });
    }
  }

  /** The groups in the order they were first met. */
  groups(): RejectGroup[] {
    return [...this.groupsByKey.values()];
  }

  /** The first rejected record of the first file with any, for --strict. */
  firstRecord(): RejectedRecord | undefined {
    return this.first;
  }
}
