import { createReadStream } from "node:fs";

const QUOTE = 34;
const LF = 10;
const CR = 13;

/** Where records of a CSV file start, for the few records a report names. */
export interface CsvLines {
  /** the physical line of each readable record asked for, by its ordinal (0-based, header and blank lines not counted) */
  readable: Map<number, number>;
  /** the physical line of each record DuckDB rejected, by DuckDB's record number (header = 1, blank lines counted) */
  rejected: Map<number, number>;
}

/**
 * Finds the physical line numbers of some CSV records. DuckDB reads the
 * file fast but numbers records, not lines (a quoted value may span several
 * lines); this scan runs only when there is something to report, and keeps
 * only the lines asked for, so it needs no memory per record.
 */
export async function csvRecordLines(file: string, ordinals: Iterable<number>, rejectedRecords: Iterable<number>): Promise<CsvLines> {
  const wanted = new Set(ordinals);
  const rejectedWanted = new Set(rejectedRecords);
  const readable = new Map<number, number>();
  const rejected = new Map<number, number>();
  let record = 1; // DuckDB's numbering: the header is record 1
  let ordinal = 0;
  let line = 1;
  let startLine = 1;
  let inQuotes = false;
  let hasBytes = false;
  let afterCr = false;
  let remaining = wanted.size + rejectedWanted.size;

  const endRecord = () => {
    if (record > 1) {
      if (rejectedWanted.has(record)) {
        rejected.set(record, startLine);
        remaining--;
      } else if (hasBytes) {
        if (wanted.has(ordinal)) {
          readable.set(ordinal, startLine);
          remaining--;
        }
        ordinal++;
      }
    }
    record++;
    hasBytes = false;
  };

  if (remaining === 0) return { readable, rejected };
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (afterCr) {
        afterCr = false;
        if (byte === LF) continue;
      }
      if (byte === LF || byte === CR) {
        afterCr = byte === CR;
        line++;
        if (!inQuotes) {
          endRecord();
          startLine = line;
          if (remaining === 0) return { readable, rejected };
        }
        continue;
      }
      if (byte === QUOTE) inQuotes = !inQuotes;
      hasBytes = true;
    }
  }
  if (hasBytes) endRecord();
  return { readable, rejected };
}
