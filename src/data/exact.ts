import type { DuckDBDataChunk, DuckDBDecimalValue, DuckDBVector } from "@duckdb/node-api";

/**
 * Event values are summed exactly, as decimals with ten fractional digits
 * (DuckDB's DECIMAL(38, 10)), and turned into a number once, here: a run and
 * a replay of history give the same sum to the last bit, whatever the order
 * in which the values were added.
 */
export const EXACT_SCALE = 10;
const SCALE_FACTOR = 10n ** BigInt(EXACT_SCALE);

/** The exact sums of a DECIMAL column, scaled up to integers (value x 10^10). */
export function decimalColumn(chunk: DuckDBDataChunk, column: number): (bigint | null)[] {
  const vector = chunk.getColumnVector(column) as DuckDBVector<DuckDBDecimalValue | null>;
  const out = new Array<bigint | null>(chunk.rowCount);
  for (let i = 0; i < out.length; i++) {
    const item = vector.getItem(i);
    out[i] = item === null ? null : item.scale === EXACT_SCALE ? item.value : (item.value * SCALE_FACTOR) / 10n ** BigInt(item.scale);
  }
  return out;
}

/** The number nearest an exact scaled sum (correctly rounded: read from its decimal digits). */
export function exactNumber(scaled: bigint): number {
  if (scaled === 0n) return 0;
  const negative = scaled < 0n;
  const digits = (negative ? -scaled : scaled).toString().padStart(EXACT_SCALE + 1, "0");
  return Number(`${negative ? "-" : ""}${digits.slice(0, -EXACT_SCALE)}.${digits.slice(-EXACT_SCALE)}`);
}

/** The average of `count` values with an exact scaled sum; null without values. */
export function exactAverage(scaled: bigint | null, count: number): number | null {
  return scaled === null || count === 0 ? null : exactNumber(scaled) / count;
}
