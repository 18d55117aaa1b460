import { describe, expect, it } from "vitest";
import { DataEngine, numberColumn, textColumn } from "../../src/data/duckdb.js";

describe("reading columns of a DuckDB result", () => {
  it("reads numbers and texts with their missing values exactly as the library's own reader does, across chunks and validity words", async () => {
    const engine = await DataEngine.open();
    try {
      const query = `SELECT
          CASE WHEN i % 3 = 0 THEN NULL ELSE i - 2500 END::INTEGER AS int_value,
          CASE WHEN i % 5 = 0 THEN NULL ELSE i * 1.5 END::DOUBLE AS double_value,
          CASE WHEN i % 2 = 0 THEN NULL ELSE i % 300 END::SMALLINT AS small_value,
          CASE WHEN i % 64 = 63 THEN NULL ELSE i END::BIGINT AS big_value,
          (i * 0.25)::FLOAT AS float_value,
          CASE WHEN i % 7 = 0 THEN NULL WHEN i % 11 = 0 THEN 'a text longer than twelve bytes ' || i WHEN i % 13 = 0 THEN 'é' || i ELSE 'x' || i END AS text_value
        FROM range(5000) t(i)`;
      let rows = 0;
      for await (const chunk of engine.chunks(query)) {
        for (let column = 0; column < 6; column++) {
          const vector = chunk.getColumnVector(column);
          const expected = Array.from({ length: chunk.rowCount }, (_, i) => {
            const item = vector.getItem(i) as unknown;
            return item === null ? null : column === 5 ? String(item) : Number(item);
          });
          expect(column === 5 ? textColumn(chunk, column) : numberColumn(chunk, column)).toEqual(expected);
        }
        rows += chunk.rowCount;
      }
      expect(rows).toBe(5000);
    } finally {
      engine.close();
    }
  });
});
