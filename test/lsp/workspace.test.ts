import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Diagnostic } from "vscode-languageserver-protocol";
import { LspClient } from "../helpers/lsp-client.js";

/** A folder with a base playbook (its metric misspells a field) and one that extends it, and a server started on it. */
async function baseAndChild() {
  const dir = mkdtempSync(join(tmpdir(), "touchline-workspace-"));
  const base = 'playbook "base" {\n  account { arr: money }\n  metric m = arrr * 2\n}\n';
  const child = 'playbook "child" extends "./base.play" {\n  metric n = m + 1\n}\n';
  writeFileSync(join(dir, "base.play"), base);
  writeFileSync(join(dir, "child.play"), child);
  const client = new LspClient();
  await client.initialize(dir);
  return { dir, base, child, client, childUri: LspClient.uri(join(dir, "child.play")), baseUri: LspClient.uri(join(dir, "base.play")) };
}

describe("a base playbook and one that extends it", () => {
  it("shows the base's errors at the extends line, and checks the child again when the base is edited", async () => {
    const { dir, base, child, client, childUri, baseUri } = await baseAndChild();
    const diagnostics = (await client.open(childUri, child)) as (Diagnostic & { relatedInformation?: { location: { uri: string } }[] })[];
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ code: "TL2003", range: { start: { line: 0, character: 25 } } });
    expect(diagnostics[0]!.message).toBe("the base playbook has 1 error: base.play:3:14 unknown name `arrr`; did you mean `arr`?");
    expect(diagnostics[0]!.relatedInformation![0]!.location.uri).toBe(baseUri);
    // Fixing the base in the editor (unsaved) clears the child.
    await client.open(baseUri, base);
    const childAgain = client.nextPublished(childUri);
    await client.change(baseUri, [{ range: { start: { line: 2, character: 13 }, end: { line: 2, character: 17 } }, text: "arr" }]);
    expect(await childAgain).toEqual([]);

    // References and rename of a base's metric reach the playbook that extends it, open or not.
    writeFileSync(join(dir, "base.play"), base.replace("arrr", "arr"));
    const grandchild = 'playbook "grandchild" extends "./child.play" {\n  segment big = m > 10\n}\n';
    writeFileSync(join(dir, "grandchild.play"), grandchild);
    const at = { line: 2, character: 9 };
    const references = await client.request<{ uri: string }[]>("textDocument/references", { textDocument: { uri: baseUri }, position: at, context: { includeDeclaration: true } });
    expect(new Set(references.map((r) => r.uri))).toEqual(new Set([baseUri, childUri, LspClient.uri(join(dir, "grandchild.play"))]));
    const rename = await client.request<{ changes: Record<string, { newText: string }[]> }>("textDocument/rename", { textDocument: { uri: baseUri }, position: at, newName: "doubled" });
    expect(Object.keys(rename.changes).sort()).toEqual([baseUri, childUri, LspClient.uri(join(dir, "grandchild.play"))].sort());
    expect(rename.changes[childUri]!.map((e) => e.newText)).toEqual(["doubled"]);
    expect(await client.shutdown()).toBe(0);
  }, 60_000);

  it("renames from any playbook of a family (a base and those that extend it), refuses names taken anywhere in it, and follows event types", async () => {
    const dir = mkdtempSync(join(tmpdir(), "touchline-family-"));
    const files = {
      "base.play": 'playbook "base" {\n  account { arr: money }\n  events { login { user: string } }\n  metric logins = count("login", 7d)\n  health {\n    adoption 100% = scale(logins, 0 .. 10)\n  }\n  segment weak = health.adoption < 40\n}\n',
      "v2.play": 'playbook "v2" extends "./base.play" {\n  health {\n    adoption 100% = scale(logins, 0 .. 20)\n  }\n}\n',
      "sibling.play": 'playbook "sibling" extends "./base.play" {\n  account { seats: int }\n  metric active = distinct("login", "user", 30d)\n}\n',
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const uri = (name: string) => LspClient.uri(join(dir, name));
    const client = new LspClient();
    await client.initialize(dir);
    await client.open(uri("v2.play"), files["v2.play"]);
    const onComponent = { textDocument: { uri: uri("v2.play") }, position: { line: 2, character: 5 } };
    // From the playbook that extends the base: the base's own definition and uses, and the other playbook extending it, follow.
    const rename = await client.request<{ changes: Record<string, { range: { start: { line: number } } }[]> }>("textDocument/rename", { ...onComponent, newName: "usage" });
    expect(Object.keys(rename.changes).sort()).toEqual([uri("base.play"), uri("v2.play")].sort());
    expect(rename.changes[uri("base.play")]!.map((e) => e.range.start.line).sort()).toEqual([5, 7]);
    // Names the family already uses, or that expressions already give a meaning, are refused.
    await expect(client.request("textDocument/rename", { ...onComponent, newName: "score" })).rejects.toThrow(/health.score` already means something/);
    await expect(client.request("textDocument/rename", { textDocument: { uri: uri("v2.play") }, position: { line: 2, character: 27 }, newName: "seats" })).rejects.toThrow(/a field named `seats` already exists.*sibling.play/);
    await expect(client.request("textDocument/rename", { textDocument: { uri: uri("v2.play") }, position: { line: 2, character: 27 }, newName: "health" })).rejects.toThrow(/built-in name/);
    // An event type is used in quotes by aggregates: references and rename reach them.
    await client.open(uri("base.play"), files["base.play"]);
    const onEvent = { textDocument: { uri: uri("base.play") }, position: { line: 2, character: 12 } };
    const references = await client.request<{ uri: string; range: { start: { line: number } } }[]>("textDocument/references", { ...onEvent, context: { includeDeclaration: false } });
    expect(references.map((r) => `${r.uri.split("/").pop()}:${r.range.start.line}`).sort()).toEqual(["base.play:3", "sibling.play:2"]);
    const renamed = await client.request<{ changes: Record<string, { newText: string }[]> }>("textDocument/rename", { ...onEvent, newName: "signin" });
    expect(Object.values(renamed.changes).flat()).toHaveLength(3);
    expect(await client.shutdown()).toBe(0);
  }, 60_000);

  it("renames a field in every playbook that shares a template file naming it (the same playbook in both notations)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "touchline-shared-template-"));
    const play = (name: string) =>
      `playbook "${name}" {\n  account { seats: int\n    admin_email: email }\n  template "tips" { file "tips.liquid" }\n  trigger t {\n    when seats > 1\n    cooldown 7d\n    email "tips" to admin_email\n  }\n}\n`;
    writeFileSync(join(dir, "a.play"), play("a"));
    writeFileSync(join(dir, "b.play"), play("b"));
    writeFileSync(join(dir, "tips.liquid"), "---\nsubject: Tips\n---\nYou use {{ account.seats }} seats. {{ unsubscribe_url }}\n");
    const client = new LspClient();
    await client.initialize(dir);
    const aUri = LspClient.uri(join(dir, "a.play"));
    await client.open(aUri, play("a"));
    const rename = await client.request<{ changes: Record<string, unknown[]> }>("textDocument/rename", { textDocument: { uri: aUri }, position: { line: 1, character: 13 }, newName: "licences" });
    expect(Object.keys(rename.changes).map((u) => u.split("/").pop()).sort()).toEqual(["a.play", "b.play", "tips.liquid"]);
    expect(rename.changes[LspClient.uri(join(dir, "tips.liquid"))]).toHaveLength(1);
    expect(rename.changes[LspClient.uri(join(dir, "b.play"))]).toHaveLength(2);
    expect(await client.shutdown()).toBe(0);
  }, 60_000);

  it("checks the child again when an open base is closed unsaved, and when the base changes on disk", async () => {
    const { dir, base, child, client, childUri, baseUri } = await baseAndChild();
    expect(await client.open(childUri, child)).toHaveLength(1);
    // The extends path goes to the base, and says what it is.
    const onPath = { textDocument: { uri: childUri }, position: { line: 0, character: 30 } };
    expect(await client.request("textDocument/definition", onPath)).toMatchObject({ uri: baseUri, range: { start: { line: 0, character: 0 } } });
    expect((await client.request<{ contents: { value: string } }>("textDocument/hover", onPath)).contents.value).toContain("**extends** the playbook `base` in `base.play`");
    await client.open(baseUri, base);
    const fixed = client.nextPublished(childUri);
    await client.change(baseUri, [{ range: { start: { line: 2, character: 13 }, end: { line: 2, character: 17 } }, text: "arr" }]);
    expect(await fixed).toEqual([]);
    // Closed without saving: the base on disk still has its error, and the child says so again.
    const reverted = client.nextPublished(childUri);
    void client.connection.sendNotification("textDocument/didClose", { textDocument: { uri: baseUri } });
    expect((await reverted).map((d) => d.code)).toEqual(["TL2003"]);
    // Fixed on disk (another editor, a checkout): the change notification re-checks the child.
    writeFileSync(join(dir, "base.play"), base.replace("arrr", "arr"));
    const refreshed = client.nextPublished(childUri);
    void client.connection.sendNotification("workspace/didChangeWatchedFiles", { changes: [{ uri: baseUri, type: 2 }] });
    expect(await refreshed).toEqual([]);
    expect(await client.shutdown()).toBe(0);
  }, 60_000);
});
