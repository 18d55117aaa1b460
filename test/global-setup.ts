import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Tests that run the CLI as a process need the compiled output and the example's data: build them once. */
export default function setup(): void {
  const root = fileURLToPath(new URL("../", import.meta.url));
  execFileSync("npx", ["tsc", "-p", "tsconfig.json"], { cwd: root, stdio: "inherit" });
  if (!existsSync(`${root}examples/saas-b2b/data/accounts.csv`)) execFileSync("node", ["dist/scripts/generate-example.js"], { cwd: root, stdio: "inherit" });
}
