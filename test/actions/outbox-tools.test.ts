import Database from "better-sqlite3";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { deliverDue } from "../../src/actions/deliver.js";
import { OutboxLedger, type NewOutboxRow } from "../../src/actions/ledger.js";
import type { DeliverySettings } from "../../src/actions/settings.js";
import { smtpServersPerTest } from "../helpers/smtp.js";
import { listOutbox, manyAccounts, sendPlaybook, sendProject, UNSUBSCRIBE_SECRET } from "../helpers/send-project.js";
import { signUnsubscribeToken } from "../../src/actions/unsubscribe.js";

const smtpServer = smtpServersPerTest();

describe("frequency caps across the playbooks of a project", () => {
  it("lets the highest-priority actions through up to the cap, whichever playbook decided them, and records the rest as capped", async () => {
    const smtp = await smtpServer();
    const ledger = new OutboxLedger(new Database(":memory:"));
    const now = Date.parse("2026-03-03T10:00:00Z");
    const row = (playbook: string, trigger: string, priority: number): NewOutboxRow => ({
      key: `${playbook}/${trigger}/0/email:t/A1/2026-03-02`,
      playbook,
      trigger,
      step: 0,
      account_id: "A1",
      day: "2026-03-02",
      kind: "email",
      target: "t",
      recipient: "ada@customer.example",
      priority,
      transactional: 0,
      category: "tech-touch",
      zone: "UTC",
      payload: JSON.stringify({ to: "ada@customer.example", subject: `${playbook} ${trigger}`, html: "<p>x</p>", text: "x", unsubscribe: "https://vendor.example/u?token=x" }),
      state: "planned",
      reason: null,
      send_at: now - 3_600_000,
      last_error: null,
    });
    ledger.record(row("onboarding", "welcome", 10), now);
    ledger.record(row("b2b-saas", "renewal", 80), now);
    ledger.record(row("b2b-saas", "nudge", 5), now);
    const settings: DeliverySettings = { smtp: { host: "127.0.0.1", port: smtp.port, secure: false, user: undefined, password: undefined }, from: "cs@vendor.example", unsubscribeSecret: UNSUBSCRIBE_SECRET, unsubscribeUrl: "https://vendor.example/u", webhookSecret: undefined, secrets: [] };
    const open = { quietFrom: undefined, quietTo: undefined, businessDaysOnly: false };
    const report = await deliverDue(ledger, settings, {
      now: () => now,
      rules: new Map([
        ["b2b-saas", { delivery: open, caps: [{ channel: "email", max: 2, perDays: 7 }] }],
        ["onboarding", { delivery: open, caps: [] }],
      ]),
      holidays: [],
      rate: undefined,
      maxAttempts: 5,
      timeoutMs: 2000,
      tasks: "/dev/null",
      journalFolder: mkdtempSync(join(tmpdir(), "touchline-journal-")),
    });
    expect(report.delivered.email).toBe(2);
    expect(smtp.received.map((m) => m.parsed.subject)).toEqual(["b2b-saas renewal", "onboarding welcome"]);
    const capped = ledger.list({ states: ["capped"] });
    expect(capped.map((r) => r.trigger)).toEqual(["nudge"]);
    expect(capped[0]!.reason).toContain("at most 2 email per 7 days to one account, across every playbook");
  });
});

describe("outbox tools", () => {
  it("serve-unsubscribe: GET only asks, POST applies a valid token (one-click), a tampered one is refused", { timeout: 60_000 }, async () => {
    const smtp = await smtpServer();
    const project = sendProject(smtp.port, [{ id: "A1", name: "Ada", email: "ada@customer.example" }]);
    const server = project.start("serve-unsubscribe", project.dir, "--port", "0");
    let output = "";
    server.child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    while (!/listening on (http:\/\/[^/]+)\//.test(output)) await new Promise((resolve) => setTimeout(resolve, 20));
    const base = /listening on (http:\/\/[^/]+)\//.exec(output)![1]!;
    const token = signUnsubscribeToken({ account: "A1", address: "ada@customer.example", category: "onboarding" }, UNSUBSCRIBE_SECRET);
    try {
      const page = await fetch(`${base}/?token=${token}`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("<button>Unsubscribe</button>");
      expect(project.cli("suppress", "list", project.dir).stdout).toContain("empty");
      const tampered = await fetch(`${base}/?token=${token.slice(0, -2)}xx`, { method: "POST", body: "List-Unsubscribe=One-Click", headers: { "content-type": "application/x-www-form-urlencoded" } });
      expect(tampered.status).toBe(400);
      const oneClick = await fetch(`${base}/?token=${token}`, { method: "POST", body: "List-Unsubscribe=One-Click", headers: { "content-type": "application/x-www-form-urlencoded" } });
      expect(oneClick.status).toBe(200);
      const listed = project.cli("suppress", "list", project.dir).stdout;
      expect(listed).toContain("ada@customer.example");
      expect(listed).toContain("onboarding");
      expect(listed).toContain("unsubscribe link");
    } finally {
      server.child.kill("SIGTERM");
      await server.done;
    }
  });

  it("serve-unsubscribe refuses to start without the secret the links are signed with, or on a port in use, and unsubscribe without it is the same mistake", async () => {
    const smtp = await smtpServer();
    const project = sendProject(smtp.port, [{ id: "A1", name: "Ada", email: "ada@customer.example" }]);
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    try {
      const port = String((busy.address() as { port: number }).port);
      const inUse = await project.main("serve-unsubscribe", project.dir, "--port", port);
      expect(inUse.code).toBe(2);
      expect(inUse.stderr).toBe(`touchline: port ${port} on 127.0.0.1 is already in use: choose another with --port\n`);
    } finally {
      busy.close();
    }
    project.write("delivery.yaml", `smtp: smtp://127.0.0.1:${smtp.port}\n`);
    for (const command of [["serve-unsubscribe", project.dir, "--port", "0"], ["unsubscribe", project.dir, "some-token"]]) {
      const refused = await project.main(...command);
      expect(refused.code, command[0]).toBe(2);
      expect(refused.stderr).toContain("no unsubscribe secret is set (TOUCHLINE_UNSUBSCRIBE_SECRET, or unsubscribe_secret in the delivery settings file)");
    }
  });

  it("outbox filters by several accounts, states and triggers, says when --limit hid rows, and refuses dates that are not in the calendar", async () => {
    const smtp = await smtpServer();
    const project = sendProject(smtp.port, manyAccounts(3));
    expect((await project.main("run", project.dir, "--as-of", "2026-03-02", "--send", "--now", "2026-03-03T10:00:00Z")).code).toBe(0);
    const keys = async (...filters: string[]) => (await listOutbox(project, ...filters)).map((r) => r.account);
    expect(await keys("--account", "A00001", "--account", "A00003")).toEqual(["A00001", "A00003"]);
    expect(await keys("--trigger", "nope,welcome")).toHaveLength(3);
    expect(await keys("--state", "failed", "--state", "sent")).toHaveLength(3);
    expect((await project.main("outbox", project.dir, "--limit", "1")).stdout).toContain("1 actions (the first 1 of 3 that match: --limit): 1 sent.");
    for (const [option, value] of [["--since", "2026-02-30"], ["--limit", "0"]]) {
      const refused = await project.main("outbox", project.dir, option!, value!);
      expect(refused.code, `${option} ${value}`).toBe(2);
    }
    expect((await project.main("outbox", "deliver", project.dir, "--now", "2026-02-30T10:00:00Z")).code).toBe(2);
  });

  it("preview fills in the offer the email's trigger makes that day, as run --send does", async () => {
    const smtp = await smtpServer();
    const playbook = sendPlaybook({
      templates: `  template "upsell" {
    subject "More seats"
    body "<p>{{ offer.product }} at {{ offer.discount }} off until {{ offer.expires }}. <a href=\\"{{ unsubscribe_url }}\\">Unsubscribe</a></p>"
  }
  offer "pack" {
    product "seats-10"
    discount 15%
    expires 30d
  }`,
      triggers: `  trigger upsell {
    when plan == "pro"
    limit once
    offer "pack"
    email "upsell" to admin_email
  }`,
    });
    const project = sendProject(smtp.port, [{ id: "A1", name: "Ada", email: "ada@customer.example" }], playbook);
    const preview = await project.main("preview", project.dir, "A1", "upsell", "--as-of", "2026-03-02");
    expect(preview.code, preview.stderr).toBe(0);
    expect(preview.stdout).toContain("seats-10 at 15% off until 2026-04-02.");
    const sent = await project.main("run", project.dir, "--as-of", "2026-03-02", "--send", "--now", "2026-03-03T10:00:00Z");
    expect(sent.code, sent.stderr).toBe(0);
    expect(smtp.received[0]!.parsed.text).toContain("seats-10 at 15% off until 2026-04-02.");
  });

  it("preview renders one template for one account as it would go out, and names a template that does not exist", async () => {
    const smtp = await smtpServer();
    const project = sendProject(smtp.port, [{ id: "A1", name: "Ada & Co", email: "ada@customer.example" }]);
    const text = await project.main("preview", project.dir, "A1", "welcome", "--as-of", "2026-03-02");
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain("Subject: Welcome, Ada & Co");
    expect(text.stdout).toContain("Hi Ada & Co,");
    const html = await project.main("preview", project.dir, "A1", "welcome", "--as-of", "2026-03-02", "--format", "html");
    expect(html.stdout).toContain("<p>Hi Ada &amp; Co,</p>");
    // The whole message: dated when it would first go out, and the same bytes every time (boundaries and Message-ID from its key).
    const eml = await project.main("preview", project.dir, "A1", "welcome", "--as-of", "2026-03-02", "--format", "eml");
    expect(eml.code, eml.stderr).toBe(0);
    expect(eml.stdout).toMatch(/^Date: Tue, 03 Mar 2026 00:00:00 \+0000$/m);
    expect(eml.stdout).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click$/m);
    expect((await project.main("preview", project.dir, "A1", "welcome", "--as-of", "2026-03-02", "--format", "eml")).stdout).toBe(eml.stdout);
    const missing = await project.main("preview", project.dir, "A1", "welcom", "--as-of", "2026-03-02");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('did you mean "welcome"?');
    expect(text.stderr).toBe("");
    // A second row for the account is rejected: the message is the first row's, and stderr says what was left out.
    const lines = project.read("accounts.csv").trimEnd().split("\n");
    project.write("accounts.csv", `${[...lines, lines[1]!.replace("Ada & Co", "Someone else")].join("\n")}\n`);
    const duplicated = await project.main("preview", project.dir, "A1", "welcome", "--as-of", "2026-03-02");
    expect(duplicated.code, duplicated.stderr).toBe(0);
    expect(duplicated.stdout).toBe(text.stdout);
    expect(duplicated.stderr).toContain("Rejected input (1 row, not counted here):");
    expect(duplicated.stderr).toContain("accounts.csv:3: field `account_id`: duplicate account id A1 (first on line 2)");
    expect(smtp.received).toHaveLength(0);
  });

  it("suppress warns when a category is one no template of the project has", async () => {
    const smtp = await smtpServer();
    const project = sendProject(smtp.port, [{ id: "A1", name: "Ada", email: "ada@customer.example" }]);
    const unknown = await project.main("suppress", "add", project.dir, "Ada@Customer.example", "--category", "newsleter");
    expect(unknown.code).toBe(0);
    expect(unknown.stdout).toContain("Suppressed ada@customer.example for newsleter emails.");
    expect(unknown.stderr).toContain("no email template of this project has the category newsleter (they have onboarding, tech-touch)");
    const known = await project.main("suppress", "add", project.dir, "bob@customer.example", "--category", "onboarding");
    expect(known.stderr).toBe("");
  });

  it("suppress warns when an account id is one no run has evaluated (a typo would suppress nobody)", async () => {
    const smtp = await smtpServer();
    const project = sendProject(smtp.port, [{ id: "A1", name: "Ada", email: "ada@customer.example" }]);
    // Before the first run there is nothing to compare with: no warning.
    const early = await project.main("suppress", "add", project.dir, "Z9", "--account");
    expect(early.code).toBe(0);
    expect(early.stderr).toBe("");
    expect((await project.main("run", project.dir, "--as-of", "2026-03-02")).code).toBe(0);
    const typo = await project.main("suppress", "add", project.dir, "a1", "--account");
    expect(typo.code).toBe(0);
    expect(typo.stdout).toContain("Suppressed the account a1.");
    expect(typo.stderr).toBe("warning: no run so far has evaluated an account a1 (ids are matched exactly, case included): this entry holds nothing back until one does\n");
    const known = await project.main("suppress", "add", project.dir, "A1", "--account");
    expect(known.stderr).toBe("");
    expect(smtp.received).toHaveLength(0);
  });

  it("never shows or stores the SMTP password or the signing secrets", { timeout: 30_000 }, async () => {
    const smtp = await smtpServer({ refuseLogin: true });
    const project = sendProject(smtp.port, [{ id: "A1", name: "Ada", email: "ada@customer.example" }]);
    const password = "pa55-Very-Secret-word";
    project.write("delivery.yaml", project.read("delivery.yaml").replace(`smtp://127.0.0.1:${smtp.port}`, `smtp://cs:${password}@127.0.0.1:${smtp.port}`));
    const sent = await project.main("run", project.dir, "--as-of", "2026-03-02", "--send");
    // The test server refuses the login, so delivery fails: the failure is reported without the password.
    expect(sent.code).toBe(1);
    const listed = await project.main("outbox", project.dir, "--format", "json");
    const state = readFileSync(project.path(".touchline/state.db")).toString("latin1");
    for (const text of [sent.stdout, sent.stderr, listed.stdout, state]) {
      expect(text).not.toContain(password);
      expect(text).not.toContain(UNSUBSCRIBE_SECRET);
    }
    expect(listed.stdout).toContain("the SMTP server refused the login");
  });
});
