import { endianness, tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBDoubleVector, DuckDBFloatVector, DuckDBInstance, DuckDBIntegerVector, DuckDBSmallIntVector, type DuckDBConnection, type DuckDBDataChunk, type DuckDBValue, type DuckDBVector } from "@duckdb/node-api";

/** A value bound to a `$n` parameter: names and texts from users only ever travel this way. */
export type SqlParam = string | number | boolean | null;

/** A problem with the data (a file DuckDB cannot read, a query over it that fails): exit 1, with the file. */
export class DataError extends Error {
  /** the engine ran out of memory (a retry with less parallel work may fit) */
  outOfMemory = false;
}

/** How much of the machine the embedded engine may use. */
export interface EngineLimits {
  /** DuckDB's memory limit, e.g. "512MB"; beyond it, work spills to the temporary directory */
  memory?: string;
  threads?: number;
}

const DEFAULT_MEMORY = "512MB";

/**
 * The default limit while the events are grouped, when nothing else is held
 * outside the engine: two threads group 100M events (4.5 GB of CSV) within
 * 640 MB (they ran out at 512 MB), and the run's peak stays under 1 GB (the
 * data-engine benchmark: 0.81 GB). The rest of a run keeps 512 MB (1M
 * accounts peaked at 0.92-0.94 GB with 640 MB throughout, 0.84-0.85 GB with
 * 512 MB, two runs each).
 */
const DEFAULT_GROUPING_MEMORY = "640MB";

/** The environment variable that sets the engine's memory limit for every command (over the command's own default). */
export const MEMORY_VARIABLE = "TOUCHLINE_ENGINE_MEMORY";

/** A setting of the engine's (an environment variable) that is not valid: a mistake in how the command was called. */
export class EngineSettingError extends DataError {}

/** The memory limits to open the engine with, and to group events with: the environment's, when set (checked), else the command's, else the defaults. */
function memoryLimits(requested: string | undefined): { memory: string; grouping: string } {
  const fromEnvironment = process.env[MEMORY_VARIABLE];
  if (fromEnvironment === undefined || fromEnvironment === "") return requested ? { memory: requested, grouping: requested } : { memory: DEFAULT_MEMORY, grouping: DEFAULT_GROUPING_MEMORY };
  const size = fromEnvironment.replace(/\s+/g, "");
  if (!(bytesOf(size) > 0)) throw new EngineSettingError(`${MEMORY_VARIABLE} must be a size such as 512MB or 2GB, got ${JSON.stringify(fromEnvironment)}`);
  return { memory: size, grouping: size };
}

/** A memory size (512MB, 1.5GB, 2GiB) in bytes, as DuckDB reads it: KB, MB... are powers of 1000, KiB, MiB... of 1024; NaN if it is not one. */
export function bytesOf(size: string): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)([KMGT])(i?)B$/i.exec(size);
  if (!match) return Number.NaN;
  const power = "KMGT".indexOf(match[2]!.toUpperCase()) + 1;
  return Number(match[1]) * (match[3] ? 1024 : 1000) ** power;
}

/** The engine spills to a folder of this name (and the process id) under the system's temporary folder. */
const TEMP_FOLDER_PREFIX = "touchline-duckdb-";

/**
 * Inputs this many times larger than the grouping's memory limit are grouped
 * on one thread from the start (a failed try on two would cost its time
 * first). 100M events (4.5 GB of CSV) on two threads ran out of memory at
 * 512 MB; within 640 MB the whole run took 49.7 s (median of the benchmark's
 * 3 rounds, peak 0.81 GB) where it took 71.2 s on one thread. Measured at
 * those two limits only.
 */
const ONE_THREAD_INPUT_RATIO = 8;

/** TOUCHLINE_DEBUG_SQL=1 writes each statement's time and start to standard error (=full: the whole statement and its parameters). */
function debugSql(sql: string, params: readonly SqlParam[], started: number, more = ""): void {
  const mode = process.env.TOUCHLINE_DEBUG_SQL;
  if (!mode) return;
  const text = mode === "full" ? `${sql}\n${JSON.stringify(params)}` : sql.slice(0, 80).replace(/\s+/g, " ");
  process.stderr.write(`[sql ${Math.round(performance.now() - started)} ms${more}] ${text}\n`);
}

function isOutOfMemory(error: unknown): boolean {
  return error instanceof DataError && error.outOfMemory;
}

/**
 * The embedded analytical engine (DuckDB, in memory) that reads every input
 * and computes event aggregates. One per run; closed at its end.
 */
export class DataEngine {
  /** the memory limit in force, as given (for messages) */
  private limit: string;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    memory: string,
    /** the memory limit while events are grouped */
    readonly groupingMemory: string,
    /** the threads DuckDB works on */
    readonly threads: number,
  ) {
    this.limit = memory;
  }

  /** the memory limit in force, as given */
  get memory(): string {
    return this.limit;
  }

  static async open(limits: EngineLimits = {}): Promise<DataEngine> {
    const { memory, grouping } = memoryLimits(limits.memory);
    const options: Record<string, string> = {
      memory_limit: memory,
      temp_directory: join(tmpdir(), `${TEMP_FOLDER_PREFIX}${process.pid}`),
      // Files are read in their own order: record ordinals become line numbers in messages.
      preserve_insertion_order: "true",
      // Memory the engine's allocator kept cached after a grouping is handed back to the system within the run: 100,000
      // accounts with 20M events peaked anywhere from 770 MB to 1.1 GB with the defaults (128 MiB per thread, flushed
      // only when a task ends), and at 680-710 MB this way, in the same time.
      allocator_flush_threshold: "16MB",
      allocator_background_threads: "true",
    };
    if (limits.threads) options.threads = String(limits.threads);
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(":memory:", options);
    } catch (error) {
      throw new DataError(`the data engine cannot start (${cleanMessage((error as Error).message)}; its memory limit: ${memory})`);
    }
    const connection = await instance.connect();
    // Only texts that name their zone become instants, so the session's zone never shows; fixed all the same.
    await connection.run("SET TimeZone = 'UTC'");
    const threads = Number((await connection.runAndReadAll("SELECT current_setting('threads') AS t")).getRows()[0]![0]);
    return new DataEngine(instance, connection, memory, grouping, threads);
  }

  /**
   * Runs a statement that groups a large input (the event aggregates) of
   * about `inputBytes`. Each of DuckDB's threads builds hash tables of its
   * own, and past the memory limit several threads spilling at once use far
   * more than the limit: an input many times the limit is grouped on one
   * thread, and a grouping that runs out of memory on several threads is run
   * once more on one before giving up. Returns whether it ran on one thread.
   */
  async runGrouping(sql: string, params: readonly SqlParam[] = [], inputBytes = 0): Promise<boolean> {
    const memory = this.limit;
    if (this.groupingMemory === memory) return this.group(sql, params, inputBytes);
    await this.setMemory(this.groupingMemory);
    try {
      return await this.group(sql, params, inputBytes);
    } finally {
      // Best effort: a failure to go back must not hide the grouping's own error (and leaves the engine at the grouping's limit).
      await this.setMemory(memory).catch(() => undefined);
    }
  }

  private async setMemory(limit: string): Promise<void> {
    await this.run(`SET memory_limit = '${limit}'`);
    this.limit = limit;
  }

  private async group(sql: string, params: readonly SqlParam[], inputBytes: number): Promise<boolean> {
    if (this.threads <= 1) {
      await this.run(sql, params);
      return false;
    }
    if (inputBytes <= ONE_THREAD_INPUT_RATIO * bytesOf(this.limit)) {
      try {
        await this.run(sql, params);
        return false;
      } catch (error) {
        if (!isOutOfMemory(error)) throw error;
      }
    }
    await this.run("SET threads = 1");
    try {
      await this.run(sql, params);
    } finally {
      // A failure to restore the threads must not hide the grouping's own error.
      await this.run(`SET threads = ${this.threads}`).catch(() => undefined);
    }
    return true;
  }

  async run(sql: string, params: readonly SqlParam[] = []): Promise<void> {
    const started = performance.now();
    await this.guard(() => this.connection.run(sql, params as DuckDBValue[]));
    debugSql(sql, params, started);
  }

  /** A small result as plain rows (counts come back as numbers). */
  async rows(sql: string, params: readonly SqlParam[] = []): Promise<Record<string, unknown>[]> {
    const started = performance.now();
    const reader = await this.guard(() => this.connection.runAndReadAll(sql, params as DuckDBValue[]));
    debugSql(sql, params, started);
    return reader.getRowObjects().map(plainRow);
  }

  /** Streams a result chunk by chunk (about 2,048 rows each), so memory stays flat however large it is. */
  async *chunks(sql: string, params: readonly SqlParam[] = []): AsyncGenerator<DuckDBDataChunk> {
    const started = performance.now();
    const result = await this.guard(() => this.connection.stream(sql, params as DuckDBValue[]));
    let rows = 0;
    let firstChunk: number | undefined;
    for (;;) {
      const chunk = await this.guard(() => result.fetchChunk());
      firstChunk ??= performance.now() - started;
      if (!chunk || chunk.rowCount === 0) break;
      rows += chunk.rowCount;
      yield chunk;
    }
    debugSql(sql, params, started, `, first chunk ${Math.round(firstChunk ?? 0)} ms, ${rows} rows`);
  }

  /** Appends rows to a temporary table the engine created; each column is appended as its kind says. */
  async appendRows(table: string, rows: Iterable<readonly unknown[]>, kinds: readonly ("bigint" | "integer" | "text")[]): Promise<void> {
    const appender = await this.guard(() => this.connection.createAppender(table, "main", "temp"));
    try {
      for (const row of rows) {
        for (let i = 0; i < kinds.length; i++) {
          const value = row[i];
          if (value === null || value === undefined) appender.appendNull();
          else if (kinds[i] === "bigint") appender.appendBigInt(BigInt(value as number));
          else if (kinds[i] === "integer") appender.appendInteger(value as number);
          else appender.appendVarchar(typeof value === "string" ? value : Buffer.isBuffer(value) ? value.toString("utf8") : String(value));
        }
        appender.endRow();
      }
      appender.flushSync();
    } catch (error) {
      throw this.dataError(error);
    } finally {
      appender.closeSync();
    }
  }

  /** Streams a result as plain rows (texts, numbers, booleans, null), a chunk at a time: for reports, not for hot paths. */
  async *rowBatches(sql: string, params: readonly SqlParam[] = []): AsyncGenerator<Record<string, unknown>[]> {
    const result = await this.guard(() => this.connection.stream(sql, params as DuckDBValue[]));
    const names = result.deduplicatedColumnNames();
    for (;;) {
      const chunk = await this.guard(() => result.fetchChunk());
      if (!chunk || chunk.rowCount === 0) return;
      yield chunk.getRowObjects(names).map(plainRow);
    }
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw this.dataError(error);
    }
  }

  /**
   * DuckDB's error as a DataError. Out of memory is said in our words: its
   * advice (SET threads, SET memory_limit) names settings users cannot reach;
   * a full temporary folder, which DuckDB also calls out of memory, is a disk.
   */
  private dataError(error: unknown): DataError {
    const message = cleanMessage((error as Error).message);
    const outOfMemory = /^Out of Memory Error: (.*)/.exec(message.split("\n")[0]!);
    // A full disk under the spill folder comes as an IO error naming the folder; DuckDB's own cap on it, as out of memory.
    const spilling = (outOfMemory && /failed to offload|max_temp_directory_size|No space left/i.test(message)) || (/No space left/i.test(message) && message.includes(TEMP_FOLDER_PREFIX));
    if (spilling) {
      return new DataError(`the data engine's temporary folder (${tmpdir()}) ran out of disk space while it spilled data to disk: free some space there, or set TMPDIR to a folder on a larger disk`);
    }
    if (!outOfMemory) return new DataError(message);
    const larger = `${Math.ceil((2 * bytesOf(this.memory)) / 1e9)}GB`;
    const failure = new DataError(`the input needs more memory than the data engine's limit of ${this.memory} (${outOfMemory[1]}): set ${MEMORY_VARIABLE}, e.g. ${MEMORY_VARIABLE}=${larger}, to allow more`);
    failure.outOfMemory = true;
    return failure;
  }
}

function plainRow(row: Record<string, DuckDBValue>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    out[key] = typeof value === "bigint" ? Number(value) : value === null || typeof value !== "object" ? value : String(value);
  }
  return out;
}

/** DuckDB's message without the SQL excerpt it appends (users never wrote that SQL). */
function cleanMessage(message: string): string {
  return message.split("\n\nLINE ")[0]!.split("\nLINE ")[0]!.trim();
}

/** Quotes an identifier for SQL; the engine builds its own names, this is a second line of defence. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

const LITTLE_ENDIAN = endianness() === "LE";

/**
 * Which items of a vector hold a value, as bytes (item i: bit i % 8 of byte
 * i / 8, as DuckDB's 64-bit validity words lie in memory on little-endian
 * machines): null when every item does, undefined when the library's
 * internals are not the ones this was written against (then the library's
 * own per-item test is used). Its test makes a BigInt per item: reading a
 * column of numbers was a tenth of a large replay's main thread.
 */
function validityBytes(vector: unknown): Uint8Array | null | undefined {
  if (!LITTLE_ENDIAN) return undefined;
  const validity = (vector as { validity?: { data?: unknown; offset?: unknown } }).validity;
  if (!validity || typeof validity !== "object" || validity.offset !== 0 || !("data" in validity)) return undefined;
  if (validity.data === null) return null;
  return validity.data instanceof BigUint64Array ? new Uint8Array(validity.data.buffer, validity.data.byteOffset, validity.data.byteLength) : undefined;
}

/** The items of a DOUBLE, FLOAT, INTEGER or SMALLINT vector as the typed array the library keeps them in; undefined for any other. */
function numberItems(vector: unknown, length: number): Float64Array | Float32Array | Int32Array | Int16Array | undefined {
  if (!(vector instanceof DuckDBDoubleVector || vector instanceof DuckDBIntegerVector || vector instanceof DuckDBSmallIntVector || vector instanceof DuckDBFloatVector)) return undefined;
  const items = (vector as unknown as { items?: unknown }).items;
  const typed = items instanceof Float64Array || items instanceof Float32Array || items instanceof Int32Array || items instanceof Int16Array ? items : undefined;
  return typed && typed.length >= length ? typed : undefined;
}

/** Reads numbers (DOUBLE, INTEGER, BIGINT as number) of one column of a chunk; null where missing. */
export function numberColumn(chunk: DuckDBDataChunk, column: number): (number | null)[] {
  const vector = chunk.getColumnVector(column) as DuckDBVector<DuckDBValue>;
  const out = new Array<number | null>(chunk.rowCount);
  const items = numberItems(vector, out.length);
  const valid = items ? validityBytes(vector) : undefined;
  if (items && valid !== undefined) {
    for (let i = 0; i < out.length; i++) out[i] = valid === null || (valid[i >> 3]! >> (i & 7)) & 1 ? items[i]! : null;
    return out;
  }
  for (let i = 0; i < out.length; i++) {
    const value = vector.getItem(i);
    out[i] = value === null ? null : typeof value === "bigint" ? Number(value) : (value as number);
  }
  return out;
}

export function booleanColumn(chunk: DuckDBDataChunk, column: number): (boolean | null)[] {
  const vector = chunk.getColumnVector(column) as DuckDBVector<boolean>;
  const out = new Array<boolean | null>(chunk.rowCount);
  for (let i = 0; i < out.length; i++) out[i] = vector.getItem(i);
  return out;
}

const decoder = new TextDecoder();

/**
 * Reads texts of one column. DuckDB keeps texts of up to 12 bytes inline in
 * the vector: those (ids, codes, time zones) are decoded here without a call
 * into the native module; longer ones go through the library.
 */
export function textColumn(chunk: DuckDBDataChunk, column: number): (string | null)[] {
  const vector = chunk.getColumnVector(column) as DuckDBVector<string>;
  const internals = vector as unknown as { dataView?: DataView; validity?: { itemValid(index: number): boolean } };
  const view = internals.dataView;
  const validity = internals.validity;
  const out = new Array<string | null>(chunk.rowCount);
  if (!view || !validity || typeof validity.itemValid !== "function") {
    for (let i = 0; i < out.length; i++) out[i] = vector.getItem(i);
    return out;
  }
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  const valid = validityBytes(vector);
  for (let i = 0; i < out.length; i++) {
    if (valid === undefined ? !validity.itemValid(i) : valid !== null && ((valid[i >> 3]! >> (i & 7)) & 1) === 0) {
      out[i] = null;
      continue;
    }
    const base = i * 16;
    const length = view.getUint32(base, true);
    if (length > 12) {
      out[i] = vector.getItem(i);
      continue;
    }
    let ascii = true;
    let text = "";
    for (let k = 0; k < length; k++) {
      const byte = bytes[base + 4 + k]!;
      if (byte >= 0x80) {
        ascii = false;
        break;
      }
      text += String.fromCharCode(byte);
    }
    out[i] = ascii ? text : decoder.decode(bytes.subarray(base + 4, base + 4 + length));
  }
  return out;
}
