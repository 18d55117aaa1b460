import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { CodeLens } from "vscode-languageserver-protocol";
import { LspClient } from "../helpers/lsp-client.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

describe("the live preview on a project", () => {
  it("counts what `run` decides on the same accounts, events and day", async () => {
    // The example project without its manual overrides: the preview shows what the rules say.
    const dir = mkdtempSync(join(tmpdir(), "touchline-preview-project-"));
    const data = join(root, "examples/saas-b2b/data");
    writeFileSync(join(dir, "touchline.yaml"), `playbook: ${join(root, "playbooks/b2b-saas.play")}\nallow_folders: [${join(root, "playbooks")}]\naccounts: ${join(data, "accounts.csv")}\nevents: ${join(data, "events.csv")}\ntimezone: UTC\n`);
    const run = spawnSync("node", [join(root, "bin/touchline.js"), "run", dir, "--as-of", "2026-03-01", "--no-state", "--out", join(dir, "d.jsonl")], { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const decisions = readFileSync(join(dir, "d.jsonl"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as { account: string; tier: { computed: string }; actions: { trigger: string }[] });
    const entered = (trigger: string) => new Set(decisions.filter((d) => d.actions.some((a) => a.trigger === trigger)).map((d) => d.account)).size;
    const inTier = (tier: string) => decisions.filter((d) => d.tier.computed === tier).length;

    const client = new LspClient();
    await client.initialize(root, { sampleData: dir, sampleAsOf: "2026-03-01" });
    const path = join(root, "playbooks/b2b-saas.play");
    const uri = LspClient.uri(path);
    await client.open(uri, readFileSync(path, "utf8"));
    const lenses = await client.request<CodeLens[]>("textDocument/codeLens", { textDocument: { uri } });
    const titles = lenses.map((l) => l.command!.title);
    expect(titles).toContain(`${inTier("high_touch")} of 2000 sample accounts are in this tier now`);
    expect(titles).toContain(`${inTier("tech_touch")} of 2000 sample accounts are in this tier now`);
    for (const trigger of ["adoption_nudge", "renewal_risk", "upsell_ready"]) expect(titles).toContain(`${entered(trigger)} of 2000 sample accounts match its condition now`);
    // upsell_ready counts usage (utilization from seats, health from logins): events are loaded, so it is not 0.
    expect(entered("upsell_ready")).toBeGreaterThan(0);
    expect(titles.some((t) => t.includes("not loaded"))).toBe(false);
    expect(await client.shutdown()).toBe(0);
  }, 120_000);
});
