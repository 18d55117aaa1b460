import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { checkText } from "../../src/language/index.js";

const files = ["b2b-saas.yaml", "tech-touch-onboarding.yaml", "replaceable-tool.yaml"].map((name) => fileURLToPath(new URL(`../../playbooks/${name}`, import.meta.url)));
const noFiles = () => undefined;

/** Every path to a value in a parsed document. */
function paths(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  const found: (string | number)[][] = [at];
  if (Array.isArray(value)) value.forEach((item, i) => found.push(...paths(item, [...at, i])));
  else if (value !== null && typeof value === "object") for (const [key, item] of Object.entries(value)) found.push(...paths(item, [...at, key]));
  return found;
}

function replaced(value: unknown, path: (string | number)[], by: unknown): unknown {
  if (path.length === 0) return by;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string | number, unknown>;
  copy[path[0]!] = replaced(copy[path[0]!], path.slice(1), by);
  return copy;
}

/** What an author may leave anywhere while typing: nothing, a number, a list, a map, a word. */
const SHAPES: unknown[] = [null, 5, [], {}, "x", [null], { x: null }];

describe("a YAML playbook with any value of the wrong shape anywhere", () => {
  it("is checked into diagnostics, never an internal error", () => {
    const failures: string[] = [];
    for (const file of files) {
      const original = parse(readFileSync(file, "utf8")) as unknown;
      for (const path of paths(original).slice(1)) {
        for (const shape of SHAPES) {
          try {
            checkText(file, stringify(replaced(original, path, shape)), noFiles);
          } catch (error) {
            failures.push(`${file}: ${path.join(".")} = ${JSON.stringify(shape)}: ${(error as Error).message}`);
          }
        }
      }
    }
    expect(failures.slice(0, 20)).toEqual([]);
  }, 120_000);
});
