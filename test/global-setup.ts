import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Tests that run the CLI as a process need the compiled output and the
 * example's data: build them once. Every temporary folder the tests make
 * (throwaway projects, state files, a 20,000-account kill test of about
 * 1 GB) goes under one folder of this run, removed when the run ends, so
 * repeated runs do not fill the disk.
 */
export default function setup(): () => void {
  const root = fileURLToPath(new URL("../", import.meta.url));
  execFileSync("npx", ["tsc", "-p", "tsconfig.json"], { cwd: root, stdio: "inherit" });
  if (!existsSync(`${root}examples/saas-b2b/data/accounts.csv`)) execFileSync("node", ["dist/scripts/generate-example.js"], { cwd: root, stdio: "inherit" });
  const scratch = mkdtempSync(join(tmpdir(), "touchline-tests-"));
  process.env.TMPDIR = scratch;
  return () => rmSync(scratch, { recursive: true, force: true });
}
