import { mkdtempSync, readFileSync, writeFileSync, copyFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CodeAction, CompletionItem, DocumentSymbol, Hover, InlayHint, Location, SignatureHelp, TextEdit, WorkspaceEdit } from "vscode-languageserver-protocol";
import { cursor, LspClient } from "../helpers/lsp-client.js";

const playbooks = fileURLToPath(new URL("../../playbooks/", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "touchline-lsp-"));
mkdirSync(join(dir, "templates"));
copyFileSync(join(playbooks, "templates/adoption-tips.liquid"), join(dir, "templates/adoption-tips.liquid"));
const playPath = join(dir, "b2b-saas.play");
const yamlPath = join(dir, "b2b-saas.yaml");
const playText = readFileSync(join(playbooks, "b2b-saas.play"), "utf8");
const yamlText = readFileSync(join(playbooks, "b2b-saas.yaml"), "utf8");
writeFileSync(playPath, playText);
writeFileSync(yamlPath, yamlText);
const playUri = LspClient.uri(playPath);
const yamlUri = LspClient.uri(yamlPath);

const labels = (items: CompletionItem[] | null) => (items ?? []).map((i) => i.label);
function positionOf(text: string, needle: string, delta = 0): { line: number; character: number } {
  const offset = text.indexOf(needle) + delta;
  const lines = text.slice(0, offset).split("\n");
  return { line: lines.length - 1, character: lines[lines.length - 1]!.length };
}

describe("the language server over stdio", () => {
  const client = new LspClient();

  beforeAll(async () => {
    const result = await client.initialize(dir);
    expect((result.capabilities as Record<string, unknown>).renameProvider).toEqual({ prepareProvider: true });
  });

  afterAll(async () => {
    expect(await client.shutdown()).toBe(0);
    expect(client.stderr).toBe("");
  });

  it("publishes no diagnostics for the ready playbooks in both notations", async () => {
    expect(await client.open(playUri, playText)).toEqual([]);
    expect(await client.open(yamlUri, yamlText)).toEqual([]);
  });

  it("finds definitions across the workspace's playbooks, opens a template's file, and takes JSON-style and empty YAML playbooks", async () => {
    const symbols = await client.request<{ name: string; location: { uri: string } }[]>("workspace/symbol", { query: "renewal" });
    const files = new Set(symbols.map((s) => s.location.uri));
    expect(symbols.map((s) => s.name)).toEqual(expect.arrayContaining(["renewal_risk", "renewal_window"]));
    // Both notations of the playbook sit in the workspace; each is searched.
    expect(files).toEqual(new Set([playUri, yamlUri]));
    const definition = await client.request<Location | null>("textDocument/definition", { textDocument: { uri: playUri }, position: positionOf(playText, "templates/adoption-tips.liquid", 3) });
    expect(definition?.uri).toBe(LspClient.uri(join(dir, "templates/adoption-tips.liquid")));
    const jsonPath = join(dir, "json-style.yaml");
    const jsonText = '{"playbook": "j", "account": {"arr": "money"}, "metrics": {"big": "arr > limit"}}\n';
    writeFileSync(jsonPath, jsonText);
    const jsonDiagnostics = await client.open(LspClient.uri(jsonPath), jsonText);
    expect(jsonDiagnostics.map((d) => d.code)).toEqual(["TL2003"]);
    const emptyPath = join(dir, "new.yaml");
    writeFileSync(emptyPath, "");
    expect((await client.open(LspClient.uri(emptyPath), "")).map((d) => d.code)).toEqual(["TL3003"]);
  });

  it("checks a project's touchline.yaml as a project, not as a playbook", async () => {
    const projectPath = join(dir, "touchline.yaml");
    const valid = "playbook: b2b-saas.play\naccounts: accounts.csv\nhistory:\n  snapshots: snapshots.csv\n";
    writeFileSync(projectPath, valid);
    writeFileSync(join(dir, "accounts.csv"), "account_id\n");
    writeFileSync(join(dir, "snapshots.csv"), "account_id,as_of\n");
    expect(await client.open(LspClient.uri(projectPath), valid)).toEqual([]);
    const diagnostics = await client.change(LspClient.uri(projectPath), [{ range: { start: { line: 3, character: 2 }, end: { line: 3, character: 11 } }, text: "snapshot" }]);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ code: "TL3002", message: "unknown setting `snapshot` in `history`; did you mean `snapshots`?", range: { start: { line: 3, character: 2 }, end: { line: 3, character: 10 } } });
  });

  it("publishes the same codes and ranges as touchline check after an incremental edit", async () => {
    const at = positionOf(playText, "logins_per_seat = logins_30d", 18);
    const diagnostics = await client.change(playUri, [{ range: { start: at, end: { line: at.line, character: at.character + "logins_30d".length } }, text: "login_30d" }]);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ code: "TL2003", source: "touchline", message: "unknown name `login_30d`; did you mean `logins_30d`?", range: { start: at, end: { line: at.line, character: at.character + 9 } } });
    const actions = await client.request<CodeAction[]>("textDocument/codeAction", { textDocument: { uri: playUri }, range: diagnostics[0]!.range, context: { diagnostics } });
    expect(actions.map((a) => a.title)).toEqual(["Change to `logins_30d`"]);
    const edit = actions[0]!.edit!.changes![playUri]![0]!;
    const fixed = await client.change(playUri, [{ range: edit.range, text: edit.newText }]);
    expect(fixed).toEqual([]);
  });

  it("offers the keyword and the operator meant as quick fixes in .play files", async () => {
    for (const [written, meant, needle] of [["trigger", "triger", "\n  trigger "], ["cooldown", "cooldwn", "\n    cooldown "]] as const) {
      const at = positionOf(playText, needle, needle.indexOf(written));
      const diagnostics = await client.change(playUri, [{ range: { start: at, end: { line: at.line, character: at.character + written.length } }, text: meant }]);
      expect(diagnostics.map((d) => d.message)).toEqual([`\`${meant}\` is not a keyword here; did you mean \`${written}\`?`]);
      const actions = await client.request<CodeAction[]>("textDocument/codeAction", { textDocument: { uri: playUri }, range: diagnostics[0]!.range, context: { diagnostics } });
      expect(actions.map((a) => a.title)).toEqual([`Change to \`${written}\``]);
      const edit = actions[0]!.edit!.changes![playUri]![0]!;
      expect(await client.change(playUri, [{ range: edit.range, text: edit.newText }])).toEqual([]);
    }
  });

  it("reads `40 %` as the 40% meant, with one error and its quick fix", async () => {
    const at = positionOf(playText, "40% =", 2);
    const diagnostics = await client.change(playUri, [{ range: { start: at, end: at }, text: " " }]);
    expect(diagnostics.map((d) => [d.code, d.message])).toEqual([["TL1002", "write `40%`, with no space before the % sign"]]);
    const actions = await client.request<CodeAction[]>("textDocument/codeAction", { textDocument: { uri: playUri }, range: diagnostics[0]!.range, context: { diagnostics } });
    const edit = actions[0]!.edit!.changes![playUri]![0]!;
    expect(edit.newText).toBe("40%");
    expect(await client.change(playUri, [{ range: edit.range, text: edit.newText }])).toEqual([]);
  });

  it("completes names, members, functions and keywords in .play files", async () => {
    const document = cursor(`playbook "c" {
  account {
    arr: money
    seats: int
  }
  metric per_seat = arr / seats
  health { usage 100% = scale(per_seat, 0 .. 10) }
  trigger t {
    when health.<|>
  }
}
`);
    const uri = LspClient.uri(join(dir, "completion.play"));
    await client.open(uri, document.text);
    const members = await client.request<CompletionItem[]>("textDocument/completion", { textDocument: { uri }, position: document.position });
    expect(labels(members)).toEqual(expect.arrayContaining(["score", "status", "trend", "usage"]));
    const names = await client.request<CompletionItem[]>("textDocument/completion", { textDocument: { uri }, position: positionOf(document.text, "arr / seats", 6) });
    expect(labels(names)).toEqual(expect.arrayContaining(["arr", "seats", "per_seat", "scale", "days_since", "health"]));
    expect(names.find((n) => n.label === "scale")!.detail).toBe("scale(value: number, low .. high): number");
    const keywords = await client.request<CompletionItem[]>("textDocument/completion", { textDocument: { uri }, position: { line: 9, character: 0 } });
    expect(labels(keywords)).toEqual(expect.arrayContaining(["when", "cooldown", "email", "holdout"]));
  });

  it("completes inside a template's placeholders: what a template reads, then the fields, metrics, health and offer members", async () => {
    const text = 'playbook "p" {\n  account { arr: money\n    admin_email: email }\n  metric big = arr > 100\n  template "hello" {\n    subject "Hi {{ account.a }} {{ metrics.b }} {{ he"\n    body "x {{ unsubscribe_url }}"\n  }\n}\n';
    const uri = LspClient.uri(join(dir, "placeholders.play"));
    await client.open(uri, text);
    const at = (marker: string, shift: number) => positionOf(text, marker, shift);
    expect(labels(await client.request<CompletionItem[]>("textDocument/completion", { textDocument: { uri }, position: at("account.a }}", 9) }))).toEqual(["id", "arr", "admin_email"]);
    expect(labels(await client.request<CompletionItem[]>("textDocument/completion", { textDocument: { uri }, position: at("metrics.b }}", 9) }))).toEqual(["big"]);
    expect(labels(await client.request<CompletionItem[]>("textDocument/completion", { textDocument: { uri }, position: at('{{ he"', 5) }))).toEqual(expect.arrayContaining(["account", "metrics", "health", "unsubscribe_url"]));
    // A field or metric named in a placeholder: hover, go to definition, references and rename reach it.
    const named = 'playbook "q" {\n  account { arr: money\n    admin_email: email }\n  metric big = arr > 100\n  template "hello" {\n    subject "ARR {{ account.arr }}, big {{ metrics.big }}"\n    body "x {{ unsubscribe_url }}"\n  }\n}\n';
    const namedUri = LspClient.uri(join(dir, "named.play"));
    await client.open(namedUri, named);
    const onArr = { textDocument: { uri: namedUri }, position: positionOf(named, "arr }}", 1) };
    expect((await client.request<{ contents: { value: string } }>("textDocument/hover", onArr)).contents.value).toContain("**field** `arr`: `money`");
    expect(await client.request("textDocument/definition", onArr)).toMatchObject({ range: { start: { line: 1, character: 12 } } });
    const rename = await client.request<{ changes: Record<string, { range: { start: { line: number; character: number } } }[]> }>("textDocument/rename", { textDocument: { uri: namedUri }, position: positionOf(named, "big }}", 1), newName: "large" });
    expect(rename.changes[namedUri]!.map((e) => `${e.range.start.line}:${e.range.start.character}`).sort()).toEqual(["3:9", "5:51"]);
    const renameField = await client.request<{ changes: Record<string, unknown[]> }>("textDocument/rename", { ...onArr, newName: "revenue" });
    expect(renameField.changes[namedUri]).toHaveLength(3);
  });

  it("completes template names, tiers and schema keys, also in YAML", async () => {
    const templates = await client.request<CompletionItem[]>("textDocument/completion", { textDocument: { uri: playUri }, position: positionOf(playText, 'email "adoption-tips"', 7) });
    expect(labels(templates)).toEqual(expect.arrayContaining(["adoption-tips", "renewal-check-in"]));
    const yamlDoc = cursor("playbook: y\naccount:\n  arr: money\n  nps: int?\ntriggers:\n  t:\n    when: nps ?? 0 > 5 and <|>\n    coo");
    const uri = LspClient.uri(join(dir, "completion.yaml"));
    // Opened while valid, then edited into a state YAML cannot read: completion goes on.
    await client.open(uri, yamlDoc.text.replace("\n    coo", ""));
    await client.change(uri, [{ range: { start: { line: 6, character: 29 }, end: { line: 6, character: 29 } }, text: "\n    coo" }]);
    expect(labels(await client.request<CompletionItem[]>("textDocument/completion", { textDocument: { uri }, position: yamlDoc.position }))).toEqual(expect.arrayContaining(["arr", "nps", "count"]));
    const keys = await client.request<CompletionItem[]>("textDocument/completion", { textDocument: { uri }, position: { line: 7, character: 7 } });
    expect(labels(keys)).toEqual(expect.arrayContaining(["cooldown", "holdout", "actions", "steps"]));
    // An item of a block list under `for:` is a tier or a segment.
    const scopes = await client.request<CompletionItem[]>("textDocument/completion", { textDocument: { uri: yamlUri }, position: positionOf(yamlText, "- tech_touch", 3) });
    expect(labels(scopes)).toEqual(expect.arrayContaining(["tech_touch", "high_touch", "renewal_window"]));
  });

  it("hovers fields, functions and health components with their normalised weight", async () => {
    const field = await client.request<Hover>("textDocument/hover", { textDocument: { uri: playUri }, position: positionOf(playText, "scale(utilization", 8) });
    expect((field.contents as { value: string }).value).toContain("**metric** `utilization`: `number`");
    expect((field.contents as { value: string }).value).toContain("Share of purchased seats in use");
    const fn = await client.request<Hover>("textDocument/hover", { textDocument: { uri: playUri }, position: positionOf(playText, "scale(utilization", 2) });
    expect((fn.contents as { value: string }).value).toContain("scale(value: number, low .. high): number");
    const yamlField = await client.request<Hover>("textDocument/hover", { textDocument: { uri: yamlUri }, position: positionOf(yamlText, "days_until(renewal_date)", 12) });
    expect((yamlField.contents as { value: string }).value).toContain("**field** `renewal_date`: `date`");
    const kpi = await client.request<Hover>("textDocument/hover", { textDocument: { uri: yamlUri }, position: positionOf(yamlText, "bands(nps)", 7) });
    expect((kpi.contents as { value: string }).value).toContain("KPI: Net Promoter Score");
    const component = await client.request<Hover>("textDocument/hover", { textDocument: { uri: playUri }, position: positionOf(playText, "health.adoption < 40", 8) });
    expect((component.contents as { value: string }).value).toContain("health: weight 40%, 40% of the score");
  });

  it("goes to definitions and finds references, across notations of the same names", async () => {
    const definition = await client.request<Location>("textDocument/definition", { textDocument: { uri: playUri }, position: positionOf(playText, "scale(utilization", 8) });
    expect(definition).toMatchObject({ uri: playUri, range: { start: positionOf(playText, "metric utilization", 7) } });
    const yamlDefinition = await client.request<Location>("textDocument/definition", { textDocument: { uri: yamlUri }, position: positionOf(yamlText, "email: adoption-tips", 8) });
    expect(yamlDefinition).toMatchObject({ uri: yamlUri, range: { start: positionOf(yamlText, "  adoption-tips:", 2) } });
    const references = await client.request<Location[]>("textDocument/references", { textDocument: { uri: yamlUri }, position: positionOf(yamlText, "scale(utilization", 8), context: { includeDeclaration: true } });
    expect(references.length).toBeGreaterThanOrEqual(4);
    for (const r of references) expect(r.uri).toBe(yamlUri);
  });

  it("renames a field everywhere: definition, expressions and templates", async () => {
    const prepared = await client.request<{ placeholder: string }>("textDocument/prepareRename", { textDocument: { uri: playUri }, position: positionOf(playText, "admin_email: email", 2) });
    expect(prepared.placeholder).toBe("admin_email");
    const edit = await client.request<WorkspaceEdit>("textDocument/rename", { textDocument: { uri: playUri }, position: positionOf(playText, "admin_email: email", 2), newName: "admin_address" });
    const edits = edit.changes![playUri]!;
    expect(edits.length).toBeGreaterThanOrEqual(4);
    for (const e of edits) expect(e.newText).toBe("admin_address");
    const liquid = edit.changes![LspClient.uri(join(dir, "templates/adoption-tips.liquid"))]!;
    expect(liquid).toHaveLength(1);
    const templateEdit = await client.request<WorkspaceEdit>("textDocument/rename", { textDocument: { uri: yamlUri }, position: positionOf(yamlText, "email: adoption-tips", 8), newName: "adoption-help" });
    expect(templateEdit.changes![yamlUri]!.map((e: TextEdit) => e.newText)).toEqual(["adoption-help", "adoption-help"]);
  });

  it("renames a component in its override permission too, and refuses invalid or taken names", async () => {
    const at = positionOf(playText, "sentiment  20%", 2);
    const edit = await client.request<WorkspaceEdit>("textDocument/rename", { textDocument: { uri: playUri }, position: at, newName: "feeling" });
    const lines = edit.changes![playUri]!.map((e: TextEdit) => e.range.start.line);
    expect(lines).toContain(positionOf(playText, "allow tier, health.status, health.sentiment").line);
    await expect(client.request("textDocument/rename", { textDocument: { uri: playUri }, position: at, newName: "two words" })).rejects.toThrow("is not a valid name");
    await expect(client.request("textDocument/rename", { textDocument: { uri: playUri }, position: positionOf(playText, "metric utilization", 8), newName: "arr" })).rejects.toThrow("a field named `arr` already exists");
    await expect(client.request("textDocument/rename", { textDocument: { uri: playUri }, position: at, newName: "support" })).rejects.toThrow("a component named `support` already exists");
  });

  it("outlines, formats, colours and hints", async () => {
    const symbols = await client.request<DocumentSymbol[]>("textDocument/documentSymbol", { textDocument: { uri: playUri } });
    expect(symbols.map((s) => s.name)).toEqual(expect.arrayContaining(["arr", "utilization", "renewal_window", "default", "high_touch", "kickoff", "adoption_nudge", "adoption-tips"]));
    expect(symbols.find((s) => s.name === "default")!.children!.map((c) => c.name)).toEqual(["adoption", "engagement", "sentiment", "support"]);
    const messy = LspClient.uri(join(dir, "messy.play"));
    await client.open(messy, 'playbook "m" {\naccount { arr : money }\nmetric x=arr*2\n}\n');
    const formatting = await client.request<TextEdit[]>("textDocument/formatting", { textDocument: { uri: messy }, options: { tabSize: 2, insertSpaces: true } });
    expect(formatting[0]!.newText).toBe('playbook "m" {\n  account {\n    arr: money\n  }\n\n  metric x = arr * 2\n}\n');
    const tokens = await client.request<{ data: number[] }>("textDocument/semanticTokens/full", { textDocument: { uri: playUri } });
    expect(tokens.data.length % 5).toBe(0);
    expect(tokens.data.length).toBeGreaterThan(500);
    const hints = await client.request<InlayHint[]>("textDocument/inlayHint", { textDocument: { uri: playUri }, range: { start: { line: 0, character: 0 }, end: { line: 999, character: 0 } } });
    expect(hints.map((h) => h.label)).toEqual([" = 40% of the score", " = 30% of the score", " = 20% of the score", " = 10% of the score"]);
    const help = await client.request<SignatureHelp>("textDocument/signatureHelp", { textDocument: { uri: playUri }, position: positionOf(playText, "scale(utilization, 0.2", 19) });
    expect(help.activeParameter).toBe(1);
  });

  it("keeps completion and the outline working below a syntax error in the middle of the file", async () => {
    const broken = playText.replace("metric logins_30d = count(\"login\", 30d)", "metric logins_30d = count(\"login\", 30d) +* oops (");
    const uri = LspClient.uri(join(dir, "broken.play"));
    const diagnostics = await client.open(uri, broken);
    expect(diagnostics.some((d) => d.code === "TL1002")).toBe(true);
    const symbols = await client.request<DocumentSymbol[]>("textDocument/documentSymbol", { textDocument: { uri } });
    expect(symbols.map((s) => s.name)).toEqual(expect.arrayContaining(["upsell_ready", "renewal_risk", "seats-pack-10"]));
    const completion = await client.request<CompletionItem[]>("textDocument/completion", { textDocument: { uri }, position: positionOf(broken, "when health.score >= 80", 5) });
    expect(labels(completion)).toEqual(expect.arrayContaining(["utilization", "renewal_window", "arr"]));
  });
});
