import { expect } from "vitest";
import { TestProject } from "./project.js";

export const UNSUBSCRIBE_SECRET = "test-unsubscribe-secret-0123456789";
export const WEBHOOK_SECRET = "test-webhook-secret-0123456789";

export interface SendAccount {
  id: string;
  name: string;
  email: string;
  plan?: string;
  timezone?: string;
}

/** A tech-touch playbook: a welcome email to every pro account, once; templates and policies can be replaced. */
export function sendPlaybook(parts: { templates?: string; triggers?: string; policies?: string } = {}): string {
  return `playbook "tech-touch" {
  account {
    name: string
    admin_email: email
    plan: string
    owner: string
    timezone: string?
  }
${
  parts.templates ??
  `  template "welcome" {
    category "onboarding"
    subject "Welcome, {{ account.name }}"
    body "<p>Hi {{ account.name }},</p><p>Your plan: {{ account.plan }}.</p><p><a href=\\"{{ unsubscribe_url }}\\">Unsubscribe</a></p>"
  }`
}
${
  parts.triggers ??
  `  trigger welcome {
    when plan == "pro"
    limit once
    email "welcome" to admin_email
  }`
}
${parts.policies ?? ""}
}
`;
}

export function accountsCsv(accounts: readonly SendAccount[]): string {
  const quote = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
  return `account_id,name,admin_email,plan,owner,timezone\n${accounts.map((a) => [a.id, a.name, a.email, a.plan ?? "pro", "csm@vendor.example", a.timezone ?? ""].map(quote).join(",")).join("\n")}\n`;
}

export function manyAccounts(count: number): SendAccount[] {
  return Array.from({ length: count }, (_, i) => ({ id: `A${String(i + 1).padStart(5, "0")}`, name: `Customer ${i + 1}`, email: `admin${i + 1}@customer${i + 1}.example` }));
}

/** A project whose delivery settings (SMTP on 127.0.0.1) are in a settings file, as a team would keep them. */
export function sendProject(smtpPort: number, accounts: readonly SendAccount[], playbook = sendPlaybook(), delivery: Record<string, unknown> = {}): TestProject {
  const project = new TestProject(
    { "playbook.play": playbook, "accounts.csv": accountsCsv(accounts) },
    { delivery: { settings: "delivery.yaml", from: "Vendor CS <cs@vendor.example>", unsubscribe_url: "https://vendor.example/unsubscribe", timeout: 2000, ...delivery } },
  );
  project.write("delivery.yaml", `smtp: smtp://127.0.0.1:${smtpPort}\nunsubscribe_secret: ${UNSUBSCRIBE_SECRET}\nwebhook_secret: ${WEBHOOK_SECRET}\n`);
  return project;
}

/** A row of `touchline outbox --format json`. */
export interface OutboxJson {
  key: string;
  playbook: string;
  trigger: string;
  account: string;
  kind: string;
  state: string;
  reason: string | null;
  attempts: number;
  last_error: string | null;
  next_attempt_at: string | null;
  message_id: string | null;
}

/** The project's outbox as `touchline outbox --format json` lists it (with filters such as --state failed). */
export async function listOutbox(project: TestProject, ...filters: string[]): Promise<OutboxJson[]> {
  const listed = await project.main("outbox", project.dir, "--format", "json", ...filters);
  expect(listed.code, listed.stderr).toBe(0);
  return JSON.parse(listed.stdout) as OutboxJson[];
}
