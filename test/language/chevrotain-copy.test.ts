import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

describe("one copy of Chevrotain", () => {
  it("every module takes Chevrotain's values from src/expression/chevrotain.ts (a token made by one copy is unknown to another's lexer)", () => {
    const wrapper = join(root, "src/expression/chevrotain.ts");
    const offenders = ["src", "language-server/src", "test", "bench", "scripts"]
      .flatMap((dir) => sources(join(root, dir)))
      .filter((file) => file !== wrapper && /^import\s+(?!type\b)[^;]*from\s+"chevrotain"/m.test(readFileSync(file, "utf8")))
      .map((file) => relative(root, file));
    expect(offenders).toEqual([]);
  });
});
