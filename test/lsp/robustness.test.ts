import { readdirSync, readFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import type { CodeLens } from "vscode-languageserver-protocol";
import { LspClient } from "../helpers/lsp-client.js";

const folder = fileURLToPath(new URL("../../playbooks/", import.meta.url));
const samples = readdirSync(folder).filter((f) => /\.(play|ya?ml)$/.test(f)).map((f) => ({ name: f, text: readFileSync(join(folder, f), "utf8") }));
const TOKENS = ["{", "}", "(", ")", '"', "when", "health.", "metric m =", "trigger t {", "- ", ": ", "\n", "??", "..", "constructor", "#", "1__0", "2026-02-30"];

describe("the language server never crashes", () => {
  const client = new LspClient();
  const ready = client.initialize(tmpdir());

  afterAll(async () => {
    expect(await client.shutdown()).toBe(0);
  });

  it("answers every request on mutated playbooks of both notations, and keeps running", async () => {
    await ready;
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: samples.length - 1 }),
        fc.array(fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), cut: fc.nat({ max: 30 }), insert: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 6 })) }), { minLength: 1, maxLength: 3 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        async (sample, edits, where) => {
          let text = samples[sample]!.text;
          for (const edit of edits) {
            const at = Math.floor(edit.at * text.length);
            text = text.slice(0, at) + edit.insert + text.slice(at + edit.cut);
          }
          const uri = LspClient.uri(`/fuzz/${n++}-${samples[sample]!.name}`);
          await client.open(uri, text);
          const lines = text.split("\n");
          const line = Math.floor(where * lines.length);
          const position = { line, character: Math.floor(where * (lines[line]?.length ?? 0)) };
          const requests = [
            client.request("textDocument/completion", { textDocument: { uri }, position }),
            client.request("textDocument/hover", { textDocument: { uri }, position }),
            client.request("textDocument/definition", { textDocument: { uri }, position }),
            client.request("textDocument/references", { textDocument: { uri }, position, context: { includeDeclaration: true } }),
            client.request("textDocument/prepareRename", { textDocument: { uri }, position }),
            client.request("textDocument/rename", { textDocument: { uri }, position, newName: "renamed" }),
            client.request("textDocument/documentSymbol", { textDocument: { uri } }),
            client.request("textDocument/formatting", { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } }),
            client.request("textDocument/semanticTokens/full", { textDocument: { uri } }),
            client.request("textDocument/signatureHelp", { textDocument: { uri }, position }),
            client.request("textDocument/inlayHint", { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: lines.length, character: 0 } } }),
          ];
          await Promise.all(requests);
          await client.connection.sendNotification("textDocument/didClose", { textDocument: { uri } });
        },
      ),
      { numRuns: 60 },
    );
    expect(client.process.exitCode).toBeNull();
    expect(client.stderr).toBe("");
  });
});

describe("the live preview", () => {
  it("says how many sample accounts each trigger and tier matches, from the configured sample data", async () => {
    const dir = mkdtempSync(join(tmpdir(), "touchline-preview-"));
    const playbook = `playbook "p" {
  account {
    arr: money
    active: bool
  }
  tiers {
    big   when arr >= 1000
    small otherwise
  }
  trigger idle {
    when not active
    task "Call"
  }
}
`;
    writeFileSync(join(dir, "p.play"), playbook);
    writeFileSync(join(dir, "sample.csv"), "account_id,arr,active\nA,5000,true\nB,10,false\nC,20,false\n");
    const client = new LspClient();
    await client.initialize(dir, { sampleData: "sample.csv", sampleAsOf: "2026-03-01" });
    const uri = LspClient.uri(join(dir, "p.play"));
    await client.open(uri, playbook);
    const lenses = await client.request<CodeLens[]>("textDocument/codeLens", { textDocument: { uri } });
    expect(lenses.map((l) => [l.range.start.line, l.command!.title])).toEqual([
      [6, "1 of 3 sample accounts are in this tier now"],
      [7, "2 of 3 sample accounts are in this tier now"],
      [9, "2 of 3 sample accounts match its condition now"],
    ]);
    expect(await client.shutdown()).toBe(0);
  });
});
