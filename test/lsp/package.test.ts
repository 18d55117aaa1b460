import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));

describe("the VS Code extension", () => {
  it("packages into a .vsix offline, with its grammar, configuration and client library", () => {
    const output = execFileSync("node", ["dist/scripts/package-extension.js"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const vsix = /packaged (.+\.vsix)/.exec(output)![1]!;
    // A .vsix is a zip: its central directory lists every file name in plain text.
    const names = readFileSync(vsix).toString("latin1");
    for (const file of ["extension/package.json", "extension/extension.js", "extension/syntaxes/touchline.tmLanguage.json", "extension/language-configuration.json", "extension/node_modules/vscode-languageclient/package.json"]) {
      expect(names).toContain(file);
    }
    const manifest = JSON.parse(readFileSync(`${root}language-server/vscode/package.json`, "utf8"));
    expect(manifest.contributes.languages[0].extensions).toEqual([".play"]);
    expect(Object.keys(manifest.contributes.configuration.properties)).toEqual(["touchline.serverCommand", "touchline.sampleData", "touchline.sampleAsOf", "touchline.playbookGlobs"]);
    const grammar = JSON.parse(readFileSync(`${root}language-server/vscode/syntaxes/touchline.tmLanguage.json`, "utf8"));
    expect(grammar.scopeName).toBe("source.touchline");
    expect(names).toContain("extension/server-command.js");
    expect(manifest.contributes.configuration.properties["touchline.serverCommand"].default).toEqual([]);

    // What is inside the package itself: unzipped, its manifest and the command it would run.
    const unpacked = mkdtempSync(join(tmpdir(), "touchline-vsix-"));
    execFileSync("unzip", ["-q", vsix, "-d", unpacked]);
    const packaged = JSON.parse(readFileSync(join(unpacked, "extension/package.json"), "utf8"));
    expect(packaged.activationEvents).toEqual(["onLanguage:touchline", "onLanguage:yaml"]);
    expect(packaged.contributes.yamlValidation[0].url).toBe("./schemas/playbook.schema.json");
    expect(JSON.parse(readFileSync(join(unpacked, "extension/schemas/playbook.schema.json"), "utf8")).title).toBe("Touchline playbook");
    const { serverCommand, looksLikePlaybook } = createRequire(import.meta.url)(join(unpacked, "extension/server-command.js")) as { serverCommand: (folder: string, configured: string[]) => { command?: string; args?: string[]; missing?: string }; looksLikePlaybook: (text: string) => boolean };
    const workspace = mkdtempSync(join(tmpdir(), "touchline-installed-"));
    mkdirSync(join(workspace, "node_modules/.bin"), { recursive: true });
    writeFileSync(join(workspace, "node_modules/.bin/touchline"), "#!/bin/sh\n");
    expect(serverCommand(workspace, [])).toEqual({ command: join(workspace, "node_modules/.bin/touchline"), args: ["lsp", "--stdio"] });
    expect(readFileSync(join(unpacked, "extension/extension.js"), "utf8")).toContain("serverCommand(");
    // The server starts for playbooks, not for any YAML file.
    expect(looksLikePlaybook(readFileSync(join(root, "playbooks/b2b-saas.yaml"), "utf8"))).toBe(true);
    expect(looksLikePlaybook('{"playbook": "x"}')).toBe(true);
    expect(looksLikePlaybook("name: ci\non: push\n")).toBe(false);
  });

  it("starts only the workspace's own installation, found at or above the folder, and says how to install when there is none", () => {
    const { serverCommand } = createRequire(import.meta.url)(`${root}language-server/vscode/server-command.js`) as { serverCommand: (folder: string | undefined, configured: string[], platform?: string) => { command?: string; args?: string[]; missing?: string } };
    const workspace = mkdtempSync(join(tmpdir(), "touchline-workspace-"));
    const nested = join(workspace, "playbooks", "team");
    mkdirSync(nested, { recursive: true });
    expect(serverCommand(nested, []).missing).toMatch(/not installed in this workspace.*npm install --save-dev touchline/);
    expect(serverCommand(undefined, []).missing).toContain("npm install --save-dev touchline");
    mkdirSync(join(workspace, "node_modules", ".bin"), { recursive: true });
    writeFileSync(join(workspace, "node_modules", ".bin", "touchline"), "#!/bin/sh\n");
    expect(serverCommand(nested, [])).toEqual({ command: join(workspace, "node_modules", ".bin", "touchline"), args: ["lsp", "--stdio"] });
    // A command the user set wins, as written.
    expect(serverCommand(nested, ["/opt/touchline/bin/touchline", "lsp", "--stdio"])).toEqual({ command: "/opt/touchline/bin/touchline", args: ["lsp", "--stdio"] });
    // Nothing in the extension or the README starts a bare `npx touchline`.
    for (const file of ["language-server/vscode/extension.js", "language-server/vscode/package.json", "README.md"]) expect(readFileSync(`${root}${file}`, "utf8"), file).not.toMatch(/"npx", "touchline"/);
  });
});
