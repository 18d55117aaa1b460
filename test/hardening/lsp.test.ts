import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { bin } from "../helpers/project.js";
import { LspClient } from "../helpers/lsp-client.js";

function serverGiven(bytes: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("node", [bin, "lsp", "--stdio"], { stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += String(chunk)));
    child.on("exit", (code) => resolve({ code, stderr }));
    child.stdin.write(bytes);
  });
}

describe("the language server and frames it cannot read", () => {
  const cases: [string, string, RegExp][] = [
    ["no Content-Length", 'Content-Lenght: 10\r\n\r\n{"jsonrpc":"2.0"}', /Content-Length/],
    ["a Content-Length that is not a number", "Content-Length: ten\r\n\r\n{}", /Content-Length value must be a number/],
    ["a body that is not JSON", 'Content-Length: 9\r\n\r\n{"jsonrpc', /JSON/],
  ];
  for (const [what, bytes, message] of cases) {
    it(`exits with a message on ${what}, rather than wait unanswered`, async () => {
      const result = await serverGiven(bytes);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("touchline lsp: cannot read a message from the client");
      expect(result.stderr).toMatch(message);
    }, 30_000);
  }
});

describe("the language server under a burst of keystrokes", () => {
  it("checks a burst of 1,000 edits once at its end, not 1,000 times", async () => {
    const dir = mkdtempSync(join(tmpdir(), "touchline-burst-"));
    const text = readFileSync(fileURLToPath(new URL("../../playbooks/b2b-saas.play", import.meta.url)), "utf8");
    const uri = LspClient.uri(join(dir, "b2b-saas.play"));
    const client = new LspClient();
    await client.initialize(dir);
    await client.open(uri, text);
    let published = 0;
    const line = text.split("\n").findIndex((l) => l.includes("metric utilization"));
    let version = 1;
    for (let i = 0; i < 1000; i++) {
      version++;
      void client.connection.sendNotification("textDocument/didChange", {
        textDocument: { uri, version },
        contentChanges: [{ range: { start: { line: line + 1, character: 0 }, end: { line: line + 1, character: 0 } }, text: "x" }],
      });
    }
    const sentAt = Date.now();
    const last = await new Promise<{ version?: number }>((resolve) => {
      client.connection.onNotification("textDocument/publishDiagnostics", (params: { version?: number }) => {
        published++;
        if (params.version === version) resolve(params);
      });
    });
    const latency = Date.now() - sentAt;
    expect(last.version).toBe(1001);
    // Debounced: far fewer checks than edits (a machine that reads the burst slowly may check a few times).
    expect(published).toBeLessThan(50);
    // The target is within a second; the bound here leaves room for a loaded machine, `npm run bench` measures it.
    expect(latency).toBeLessThan(5000);
    expect(await client.shutdown()).toBe(0);
  }, 60_000);
});
