import { beforeEach, describe, expect, it } from "vitest";
import { messageIdOf } from "../../src/actions/keys.js";
import { verifyUnsubscribeToken } from "../../src/actions/unsubscribe.js";
import { smtpServersPerTest, type TestSmtpServer } from "../helpers/smtp.js";
import { listOutbox, sendPlaybook, sendProject, UNSUBSCRIBE_SECRET } from "../helpers/send-project.js";

const smtpServer = smtpServersPerTest();

describe("run --send: email through a real SMTP server on 127.0.0.1", () => {
  let smtp: TestSmtpServer;
  beforeEach(async () => {
    smtp = await smtpServer();
  });

  it("sends each message with both parts, the RFC 8058 headers, a signed unsubscribe link and a Message-ID from the idempotency key", async () => {
    const project = sendProject(smtp.port, [
      { id: "A1", name: "Ada", email: "ada@customer.example" },
      { id: "A2", name: "Bob", email: "bob@customer.example", plan: "free" },
    ]);
    const sent = await project.main("run", project.dir, "--as-of", "2026-03-02", "--send", "--now", "2026-03-03T10:00:00Z");
    expect(sent.code, sent.stderr + sent.stdout).toBe(0);
    expect(sent.stdout).toContain("Delivered: 1 emails sent");
    expect(smtp.received).toHaveLength(1);
    const mail = smtp.received[0]!.parsed;
    expect(mail.subject).toBe("Welcome, Ada");
    expect(mail.from?.text).toBe('"Vendor CS" <cs@vendor.example>');
    expect(smtp.received[0]!.to).toBe("ada@customer.example");
    expect(mail.html).toContain("<p>Hi Ada,</p>");
    expect(mail.text).toContain("Hi Ada,");
    expect(mail.text).toContain("Your plan: pro.");
    const key = "tech-touch/welcome/0/email:welcome/A1/2026-03-02";
    expect(mail.messageId).toBe(messageIdOf(key, "cs@vendor.example>"));
    expect(smtp.received[0]!.raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r?$/m);
    // The customer does not learn which playbook or trigger chose them.
    const headers = smtp.received[0]!.raw.split(/\r?\n\r?\n/)[0]!;
    expect(headers).not.toContain("tech-touch/welcome");
    const header = /<(https:\/\/vendor\.example\/unsubscribe\?token=[^>]+)>/.exec(smtp.received[0]!.raw.replace(/\r?\n\s+/g, ""))![1]!;
    expect(mail.html).toContain(header.replace(/&/g, "&amp;"));
    const claim = verifyUnsubscribeToken(new URL(header).searchParams.get("token")!, UNSUBSCRIBE_SECRET);
    expect(claim).toEqual({ account: "A1", address: "ada@customer.example", category: "onboarding" });
    const rows = await listOutbox(project);
    expect(rows.map((r) => [r.key, r.state, r.message_id])).toEqual([[key, "sent", mail.messageId]]);
  });

  it("sends nothing the second time the same day is run, and nothing again when only a template's wording changed", async () => {
    const project = sendProject(smtp.port, [{ id: "A1", name: "Ada", email: "ada@customer.example" }]);
    expect((await project.main("run", project.dir, "--as-of", "2026-03-02", "--send")).code).toBe(0);
    const again = await project.main("run", project.dir, "--as-of", "2026-03-02", "--send");
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain("Sending: 0 new actions recorded");
    project.write("playbook.play", sendPlaybook().replace("Welcome, {{ account.name }}", "A warm welcome, {{ account.name }}"));
    const reworded = await project.main("run", project.dir, "--as-of", "2026-03-02", "--send");
    expect(reworded.code, reworded.stderr).toBe(0);
    expect(smtp.received).toHaveLength(1);
  });

  it("escapes account data in HTML, keeps line breaks out of headers, and refuses a recipient that is not one address", async () => {
    const project = sendProject(smtp.port, [
      { id: "A1", name: "Ada <script>alert(1)</script>\r\nBcc: victim@evil.example", email: "ada@customer.example" },
      { id: "A2", name: "Eve", email: "eve@customer.example\r\nBcc: victim@evil.example" },
      { id: "A3", name: "Mallory", email: "mallory@customer.example, victim@evil.example" },
      // Declared as text, so the data contract lets them through and delivery itself must refuse them.
    ], sendPlaybook().replace("admin_email: email", "admin_email: string"));
    const sent = await project.main("run", project.dir, "--as-of", "2026-03-02", "--send");
    expect(sent.stdout).toContain("2 actions could not be prepared");
    expect(sent.code, sent.stdout + sent.stderr).toBe(1);
    expect(smtp.received).toHaveLength(1);
    const mail = smtp.received[0]!;
    expect(mail.to).toBe("ada@customer.example");
    expect(mail.parsed.subject).toBe("Welcome, Ada <script>alert(1)</script> Bcc: victim@evil.example");
    expect(mail.parsed.bcc).toBeUndefined();
    expect(mail.raw.split(/\r?\n\r?\n/)[0]).not.toMatch(/^Bcc:/im);
    expect(mail.parsed.html).toContain("Ada &lt;script&gt;alert(1)&lt;/script&gt;");
    expect(mail.parsed.html).not.toContain("<script>");
    const failed = await listOutbox(project, "--state", "failed");
    expect(failed.map((r) => r.account).sort()).toEqual(["A2", "A3"]);
    for (const row of failed) {
      expect(row.last_error).toMatch(/is not one email address/);
      expect(row.next_attempt_at).toBeNull();
    }
  });

  it("holds an action for quiet hours and business days in the account's zone, and delivers it when they end", async () => {
    const project = sendProject(
      smtp.port,
      [{ id: "A1", name: "Ada", email: "ada@customer.example", timezone: "America/New_York" }],
      sendPlaybook({ policies: `  policies {\n    quiet_hours "20:00" to "08:00"\n    business_days_only\n  }` }),
      { holidays: ["2026-03-09"] },
    );
    // Decided on Friday 2026-03-06; Saturday and Sunday are not business days and Monday is a holiday.
    const friday = await project.main("run", project.dir, "--as-of", "2026-03-06", "--send", "--now", "2026-03-07T15:00:00Z");
    expect(friday.code, friday.stderr).toBe(0);
    expect(smtp.received).toHaveLength(0);
    const [waiting] = await listOutbox(project);
    expect(waiting!.state).toBe("waiting");
    expect(waiting!.reason).toBe("waits until 2026-03-10T08:00:00-04:00 (a holiday, quiet hours 20:00-08:00)");
    const early = await project.main("outbox", "deliver", project.dir, "--now", "2026-03-10T11:59:00Z");
    expect(early.stdout).toContain("Waiting: 1");
    expect(smtp.received).toHaveLength(0);
    const due = await project.main("outbox", "deliver", project.dir, "--now", "2026-03-10T12:00:00Z");
    expect(due.code, due.stderr).toBe(0);
    expect(smtp.received).toHaveLength(1);
  });

  it("applies an unsubscribe link's token: that address gets no more of that category, and a tampered token changes nothing", async () => {
    const project = sendProject(smtp.port, [{ id: "A1", name: "Ada", email: "ada@customer.example" }], sendPlaybook({ triggers: `  trigger welcome {\n    when plan == "pro"\n    cooldown 1d\n    fire while_true\n    email "welcome" to admin_email\n  }` }));
    expect((await project.main("run", project.dir, "--as-of", "2026-03-02", "--send")).code).toBe(0);
    const link = /<(https:\/\/vendor\.example\/unsubscribe\?token=[^>]+)>/.exec(smtp.received[0]!.raw.replace(/\r?\n\s+/g, ""))![1]!;
    const token = new URL(link).searchParams.get("token")!;
    const [payload, signature] = token.split(".") as [string, string];
    const forged = `${Buffer.from(JSON.stringify({ a: "A1", e: "someone-else@customer.example", c: "onboarding" })).toString("base64url")}.${signature}`;
    const refused = await project.main("unsubscribe", project.dir, forged);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("signature does not match");
    expect((await project.main("unsubscribe", project.dir, `${payload}.${signature.slice(0, -1)}${signature.endsWith("A") ? "B" : "A"}`)).code).toBe(1);
    expect((await project.main("suppress", "list", project.dir)).stdout).toContain("empty");
    const applied = await project.main("unsubscribe", project.dir, token);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain("ada@customer.example is unsubscribed from onboarding emails");
    const next = await project.main("run", project.dir, "--as-of", "2026-03-03", "--send");
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toContain("Suppressed: 1");
    expect(smtp.received).toHaveLength(1);
    const rows = await listOutbox(project, "--state", "suppressed");
    expect(rows[0]!.reason).toContain("ada@customer.example is on the suppression list for onboarding");
  });

  it("lets a transactional email through quiet hours and caps, but never past the suppression list", async () => {
    const templates = `  template "receipt" {
    transactional
    subject "Your invoice"
    body "Invoice attached."
  }`;
    const triggers = `  trigger invoice {
    when plan == "pro"
    limit once
    email "receipt" to admin_email
  }`;
    const project = sendProject(
      smtp.port,
      [
        { id: "A1", name: "Ada", email: "ada@customer.example", timezone: "Europe/Berlin" },
        { id: "A2", name: "Bob", email: "bob@customer.example", timezone: "Europe/Berlin" },
      ],
      sendPlaybook({ templates, triggers, policies: `  policies {\n    cap email 0 per 7d\n    quiet_hours "00:00" to "23:59"\n  }` }),
    );
    expect((await project.main("suppress", "add", project.dir, "bob@customer.example", "--reason", "asked by phone")).code).toBe(0);
    const sent = await project.main("run", project.dir, "--as-of", "2026-03-02", "--send", "--now", "2026-03-03T03:00:00Z");
    expect(sent.code, sent.stderr).toBe(0);
    expect(smtp.received.map((m) => m.to)).toEqual(["ada@customer.example"]);
    expect(smtp.received[0]!.parsed.text).not.toContain("Unsubscribe");
    const suppressed = await listOutbox(project, "--state", "suppressed");
    expect(suppressed.map((r) => [r.account, r.reason])).toEqual([["A2", "bob@customer.example is on the suppression list (asked by phone)"]]);
  });
});
