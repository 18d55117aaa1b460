import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
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
    expect(Object.keys(manifest.contributes.configuration.properties)).toEqual(["touchline.serverCommand", "touchline.sampleData", "touchline.sampleAsOf"]);
    const grammar = JSON.parse(readFileSync(`${root}language-server/vscode/syntaxes/touchline.tmLanguage.json`, "utf8"));
    expect(grammar.scopeName).toBe("source.touchline");
  });
});
