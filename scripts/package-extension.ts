import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Packages the VS Code extension into a .vsix without the network: the
 * extension folder plus the client library and its dependencies, copied from
 * this repository's node_modules, then `vsce package`.
 */
const root = fileURLToPath(new URL("../../", import.meta.url));
const source = join(root, "language-server/vscode");
const stage = join(root, "dist/vscode-extension");
rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });
cpSync(source, stage, { recursive: true });
cpSync(join(root, "LICENSE"), join(stage, "LICENSE"));
// YAML editors validate and complete playbook files against the schema the extension carries.
cpSync(join(root, "schemas/playbook.schema.json"), join(stage, "schemas/playbook.schema.json"));

/** Copies a package and, recursively, what it depends on, as npm laid them out here. */
function copyWithDependencies(name: string, from: string, copied = new Set<string>()): void {
  let dir = from;
  let found: string | undefined;
  while (true) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) {
      found = candidate;
      break;
    }
    if (dir === root || dirname(dir) === dir) break;
    dir = dirname(dir);
  }
  if (!found) throw new Error(`package ${name} is not installed; run npm install first`);
  if (copied.has(found)) return;
  copied.add(found);
  const relative = found.slice(root.length);
  const target = join(stage, relative.replace(/^node_modules\//, "node_modules/"));
  cpSync(found, target, { recursive: true, filter: (path) => !path.slice(found!.length).includes("/node_modules/") });
  const manifest = JSON.parse(readFileSync(join(found, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
  for (const dependency of Object.keys(manifest.dependencies ?? {})) copyWithDependencies(dependency, found, copied);
}
copyWithDependencies("vscode-languageclient", root);

const manifest = JSON.parse(readFileSync(join(stage, "package.json"), "utf8")) as { name: string; version: string };
const out = join(root, `${manifest.name}-${manifest.version}.vsix`);
execFileSync(join(root, "node_modules/.bin/vsce"), ["package", "--allow-missing-repository", "--out", out], { cwd: stage, stdio: ["ignore", "inherit", "inherit"] });
writeFileSync(join(stage, ".packaged"), out);
console.log(`packaged ${out}`);
