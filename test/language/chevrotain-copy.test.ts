import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
/** `import { X } from "chevrotain"`, `export { X } from 'chevrotain'`, `import("chevrotain")`; not `import type`. */
const VALUE_FROM_CHEVROTAIN = /^(?:import|export)\s+(?!type\b)[^;]*from\s+["']chevrotain["']|import\(\s*["']chevrotain["']\s*\)/m;

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
      .filter((file) => file !== wrapper && file !== fileURLToPath(import.meta.url) && VALUE_FROM_CHEVROTAIN.test(readFileSync(file, "utf8")))
      .map((file) => relative(root, file));
    expect(offenders).toEqual([]);
  });

  it("the rule sees each way of taking a value, and lets types through", () => {
    for (const line of ['import { Lexer } from "chevrotain";', "export { EOF } from 'chevrotain';", 'const c = await import("chevrotain");', 'import { type IToken, Lexer } from "chevrotain";']) expect(VALUE_FROM_CHEVROTAIN.test(line), line).toBe(true);
    expect(VALUE_FROM_CHEVROTAIN.test('import type { IToken } from "chevrotain";')).toBe(false);
  });
});
