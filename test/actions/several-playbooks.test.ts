import { beforeEach, describe, expect, it } from "vitest";
import { smtpServersPerTest, type TestSmtpServer } from "../helpers/smtp.js";
import { accountsCsv, listOutbox, sendPlaybook, sendProject } from "../helpers/send-project.js";

const onboarding = sendPlaybook({
  policies: `  policies {\n    cap email 1 per 7d\n  }`,
}).replace('playbook "tech-touch"', 'playbook "onboarding"');

const renewal = sendPlaybook({
  templates: `  template "renewal" {\n    subject "Your renewal, {{ account.name }}"\n    body "Your contract renews soon. Unsubscribe: {{ unsubscribe_url }}"\n  }`,
  triggers: `  trigger renewal_notice priority 50 {\n    when plan == "pro"\n    limit once\n    email "renewal" to admin_email\n    task "Call about the renewal" due 2d owner owner\n  }`,
}).replace('playbook "tech-touch"', 'playbook "renewals"');

const smtpServer = smtpServersPerTest();

describe("several playbooks in one project", () => {
  let smtp: TestSmtpServer;
  beforeEach(async () => {
    smtp = await smtpServer();
  });

  function project() {
    const p = sendProject(smtp.port, [
      { id: "A1", name: "Ada", email: "ada@customer.example" },
      { id: "A2", name: "Bob", email: "bob@customer.example" },
    ]);
    p.write("onboarding.play", onboarding);
    p.write("renewals.play", renewal);
    p.write("touchline.yaml", p.read("touchline.yaml").replace("playbook: playbook.play", "playbooks: [onboarding.play, renewals.play]"));
    return p;
  }

  it("evaluates each playbook, keeps each one's state apart, and says which playbook decided each action", async () => {
    const p = project();
    // A problem with the data both playbooks read is told once, not once per playbook.
    p.write("accounts.csv", accountsCsv([{ id: "A1", name: "Ada", email: "ada@customer.example", timezone: "Mars/Olympus" }, { id: "A2", name: "Bob", email: "bob@customer.example" }]));
    const dry = await p.main("run", p.dir, "--as-of", "2026-03-02");
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain("Playbook onboarding");
    expect(dry.stdout).toContain("Playbook renewals");
    expect(dry.stdout.match(/time zone nobody knows/g)).toHaveLength(1);
    expect(dry.stdout).toMatch(/Playbook renewals[\s\S]*warning: the same warning about the data as above/);
    const explained = await p.main("explain", p.dir, "A1", "--as-of", "2026-03-02");
    expect(explained.code, explained.stderr).toBe(0);
    expect(explained.stdout).toMatch(/playbook onboarding[\s\S]*welcome: email welcome[\s\S]*playbook renewals[\s\S]*renewal_notice: email renewal/);
    // Each playbook keeps its states under its own name: an account they evaluated is known to suppress all the same.
    expect((await p.main("suppress", "add", p.dir, "A2", "--account")).stderr).toBe("");
    expect((await p.main("suppress", "add", p.dir, "A3", "--account")).stderr).toContain("no run so far has evaluated an account A3");
  });

  it("does not warn of a column as unknown when another playbook of the project reads it", async () => {
    const p = project();
    p.write("renewals.play", renewal.replace("    owner: string\n", "    owner: string\n    seats: int?\n"));
    p.write("accounts.csv", accountsCsv([{ id: "A1", name: "Ada", email: "ada@customer.example" }]).replace("timezone\n", "timezone,seats,notes\n").replace(/\n(A1,.*)\n$/, "\n$1,12,vip\n"));
    const dry = await p.main("run", p.dir, "--as-of", "2026-03-02");
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).not.toContain("column `seats`");
    expect(dry.stdout.match(/column `notes` of .* is not in the playbook's data contract/g)).toHaveLength(1);
  });

  it("sends under one set of caps across the playbooks, the highest priority first, and never again the next day", async () => {
    const p = project();
    const sent = await p.main("run", p.dir, "--as-of", "2026-03-02", "--send");
    expect(sent.code, sent.stdout + sent.stderr).toBe(0);
    // The onboarding playbook allows one email per account a week, across the project: the renewal notice (priority 50) goes first.
    expect(smtp.received.map((m) => m.parsed.subject).sort()).toEqual(["Your renewal, Ada", "Your renewal, Bob"]);
    const rows = await listOutbox(p);
    expect(rows.map((r) => [r.playbook, r.trigger, r.account, r.kind, r.state])).toEqual([
      ["onboarding", "welcome", "A1", "email", "capped"],
      ["onboarding", "welcome", "A2", "email", "capped"],
      ["renewals", "renewal_notice", "A1", "email", "sent"],
      ["renewals", "renewal_notice", "A1", "task", "sent"],
      ["renewals", "renewal_notice", "A2", "email", "sent"],
      ["renewals", "renewal_notice", "A2", "task", "sent"],
    ]);
    expect(rows[0]!.reason).toContain("across every playbook");
    const table = await p.main("outbox", p.dir, "--trigger", "welcome");
    expect(table.stdout).toContain("onboarding");
    const next = await p.main("run", p.dir, "--as-of", "2026-03-03", "--send");
    expect(next.code, next.stdout).toBe(0);
    expect(next.stdout).toContain("Sending: 0 new actions recorded");
    expect(smtp.received).toHaveLength(2);
  });

  it("refuses a project that names its playbooks both ways, or lists two playbooks with the same name", async () => {
    const p = project();
    p.write("touchline.yaml", `playbook: onboarding.play\n${p.read("touchline.yaml")}`);
    const both = await p.main("run", p.dir, "--as-of", "2026-03-02");
    expect(both.code).toBe(1);
    expect(both.stderr).toContain("not both");
    const q = project();
    q.write("renewals.play", renewal.replace('playbook "renewals"', 'playbook "onboarding"'));
    const clash = await q.main("run", q.dir, "--as-of", "2026-03-02");
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain("two playbooks are named onboarding");
  });
});
