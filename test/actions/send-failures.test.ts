import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { smtpServersPerTest, startDroppingServer, type TestSmtpOptions } from "../helpers/smtp.js";
import { listOutbox, manyAccounts, sendPlaybook, sendProject, WEBHOOK_SECRET } from "../helpers/send-project.js";

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

const startSmtp = smtpServersPerTest();
const smtpServer = (answer?: TestSmtpOptions["answer"]) => startSmtp(answer ? { answer } : {});

describe("delivery failures: nothing lost, nothing stormed", () => {
  it("retries a deferral (4xx) with pauses in the same pass, and sends the message once", async () => {
    const smtp = await smtpServer((count) => (count <= 2 ? 451 : "accept"));
    const project = sendProject(smtp.port, [{ id: "A1", name: "Ada", email: "ada@customer.example" }]);
    const sent = await project.main("run", project.dir, "--as-of", "2026-03-02", "--send");
    expect(sent.code, sent.stdout + sent.stderr).toBe(0);
    expect(smtp.received).toHaveLength(1);
    const [row] = await listOutbox(project);
    expect([row!.state, row!.attempts]).toEqual(["sent", 1]);
  });

  it("leaves a message the server keeps deferring for a later pass, with a growing wait, and sends it when that comes", async () => {
    let accept = false;
    const smtp = await smtpServer(() => (accept ? "accept" : 451));
    const project = sendProject(smtp.port, [{ id: "A1", name: "Ada", email: "ada@customer.example" }]);
    const first = await project.main("run", project.dir, "--as-of", "2026-03-02", "--send", "--now", "2026-03-03T09:00:00Z");
    expect(first.code).toBe(1);
    expect(first.stdout).toContain("1 failed");
    expect(first.stdout).toContain("the SMTP server deferred it (451");
    const [failed] = await listOutbox(project);
    expect([failed!.state, failed!.attempts, failed!.next_attempt_at]).toEqual(["failed", 1, "2026-03-03T09:05:00.000Z"]);
    accept = true;
    const tooSoon = await project.main("outbox", "deliver", project.dir, "--now", "2026-03-03T09:04:00Z");
    expect(tooSoon.stdout).toContain("nothing was due");
    expect(smtp.received).toHaveLength(0);
    const later = await project.main("outbox", "deliver", project.dir, "--now", "2026-03-03T09:05:00Z");
    expect(later.code, later.stdout).toBe(0);
    expect(smtp.received).toHaveLength(1);
    expect((await listOutbox(project))[0]!.attempts).toBe(2);
  });

  it("marks a refusal (5xx) failed after one attempt, never retries it by itself, and retries it when asked", async () => {
    let refuse = true;
    let attempts = 0;
    const smtp = await smtpServer(() => (attempts++, refuse ? 550 : "accept"));
    const project = sendProject(smtp.port, [{ id: "A1", name: "Ada", email: "ada@customer.example" }]);
    const first = await project.main("run", project.dir, "--as-of", "2026-03-02", "--send", "--now", "2026-03-03T09:00:00Z");
    expect(first.code).toBe(1);
    expect(first.stdout).toContain("the SMTP server refused it (550");
    for (const now of ["2026-03-03T10:00:00Z", "2026-03-04T10:00:00Z"]) await project.main("outbox", "deliver", project.dir, "--now", now);
    expect(attempts).toBe(1);
    const [row] = await listOutbox(project, "--state", "failed");
    expect(row!.next_attempt_at).toBeNull();
    expect((await project.main("outbox", project.dir)).stdout).toMatch(/refused it \(550 [^\n]*; not retried by itself \(touchline outbox retry\)/);
    refuse = false;
    const retried = await project.main("outbox", "retry", project.dir, "--now", "2026-03-04T11:00:00Z");
    expect(retried.code, retried.stdout).toBe(0);
    expect(retried.stdout).toContain("Retrying 1 failed");
    expect(smtp.received).toHaveLength(1);
  });

  it.each(["down (nothing listens)", "dropping every connection"])("loses nothing when the SMTP server is %s for the whole run: the next run delivers everything, once", async (how) => {
    const dropping = await startDroppingServer();
    if (how.startsWith("down")) await dropping.stop();
    else stops.push(dropping.stop);
    const smtp = await smtpServer();
    const accounts = manyAccounts(30);
    const project = sendProject(dropping.port, accounts, sendPlaybook({ triggers: `  trigger welcome {\n    when plan == "pro"\n    cooldown 1d\n    fire while_true\n    email "welcome" to admin_email\n  }` }));
    const down = await project.main("run", project.dir, "--as-of", "2026-03-02", "--send", "--now", "2026-03-03T09:00:00Z");
    expect(down.code).toBe(1);
    expect(down.stdout).toContain("29 left for the next pass because their channel could not be reached");
    // One message was tried three times; the other 29 were not hammered against a dead server.
    expect(dropping.connections()).toBeLessThanOrEqual(3);
    const rows = await listOutbox(project);
    expect(rows).toHaveLength(30);
    expect(rows.filter((r) => r.state === "planned")).toHaveLength(29);
    project.write("delivery.yaml", project.read("delivery.yaml").replace(`127.0.0.1:${dropping.port}`, `127.0.0.1:${smtp.port}`));
    const next = await project.main("run", project.dir, "--as-of", "2026-03-03", "--send", "--now", "2026-03-04T09:00:00Z");
    expect(next.code, next.stdout).toBe(0);
    // Yesterday's 30 and today's 30: every one exactly once.
    expect(smtp.received).toHaveLength(60);
    expect(new Set(smtp.received.map((m) => m.messageId)).size).toBe(60);
  });
});

interface Hook {
  headers: IncomingMessage["headers"];
  body: string;
  valid: boolean;
}

async function hookServer(answer: (count: number) => number | "hang"): Promise<{ url: string; hooks: Hook[] }> {
  const hooks: Hook[] = [];
  let count = 0;
  const server: Server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    request.on("end", () => {
      count++;
      // The receiver's own check, written from the documented scheme: HMAC-SHA256 of "<t>.<body>".
      const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(request.headers["touchline-signature"] ?? ""));
      const valid = match !== null && createHmac("sha256", WEBHOOK_SECRET).update(`${match[1]}.${body}`).digest("hex") === match[2];
      hooks.push({ headers: request.headers, body, valid });
      const status = answer(count);
      if (status === "hang") return;
      response.writeHead(valid ? status : 401).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  stops.push(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`, hooks };
}

function webhookPlaybook(url: string): string {
  return sendPlaybook({
    templates: "",
    triggers: `  trigger crm_sync {\n    when plan == "pro"\n    limit once\n    webhook "${url}"\n  }\n  trigger call {\n    when plan == "pro"\n    limit once\n    task "Call the admin" due 3d owner owner\n  }`,
  });
}

describe("webhooks and tasks", () => {
  it("POSTs signed JSON that a receiver can verify, with the idempotency key; writes tasks to the task file", async () => {
    const smtp = await smtpServer();
    const hook = await hookServer(() => 204);
    const project = sendProject(smtp.port, [{ id: "A1", name: "Ada", email: "ada@customer.example" }], webhookPlaybook(hook.url));
    const sent = await project.main("run", project.dir, "--as-of", "2026-03-02", "--send", "--now", "2026-03-03T09:00:00Z");
    expect(sent.code, sent.stdout + sent.stderr).toBe(0);
    expect(sent.stdout).toContain("1 tasks written");
    expect(sent.stdout).toContain("1 webhooks called");
    expect(hook.hooks).toHaveLength(1);
    expect(hook.hooks[0]!.valid).toBe(true);
    const escaped = hook.url.replace(/\//g, "%2F");
    expect(hook.hooks[0]!.headers["idempotency-key"]).toBe(`tech-touch/crm_sync/0/webhook:${escaped}/A1/2026-03-02`);
    const body = JSON.parse(hook.hooks[0]!.body) as Record<string, unknown>;
    expect(body).toMatchObject({ event: "touchline.action", playbook: "tech-touch", trigger: "crm_sync", account: "A1", day: "2026-03-02" });
    const tasks = project.read(".touchline/tasks.jsonl").trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(tasks).toEqual([expect.objectContaining({ title: "Call the admin", assignee: "csm@vendor.example", due: "2026-03-06", account: "A1", trigger: "call" })]);
    // A tampered body does not pass the receiver's check.
    const { headers, body: text } = hook.hooks[0]!;
    const tampered = text.replace('"A1"', '"A2"');
    const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(headers["touchline-signature"]))!;
    expect(createHmac("sha256", WEBHOOK_SECRET).update(`${match[1]}.${tampered}`).digest("hex")).not.toBe(match[2]);
  });

  it("POSTs CSM tasks, signed, when delivery.tasks is a URL", async () => {
    const smtp = await smtpServer();
    const hook = await hookServer(() => 200);
    const project = sendProject(smtp.port, [{ id: "A1", name: "Ada", email: "ada@customer.example" }], sendPlaybook({ templates: "", triggers: `  trigger call {\n    when plan == "pro"\n    limit once\n    task "Call the admin" due 3d owner owner\n  }` }), { tasks: hook.url });
    const sent = await project.main("run", project.dir, "--as-of", "2026-03-02", "--send");
    expect(sent.code, sent.stdout + sent.stderr).toBe(0);
    expect(hook.hooks).toHaveLength(1);
    expect(hook.hooks[0]!.valid).toBe(true);
    expect(JSON.parse(hook.hooks[0]!.body)).toMatchObject({ event: "touchline.task", title: "Call the admin", assignee: "csm@vendor.example", due: "2026-03-06" });
    expect(project.exists(".touchline/tasks.jsonl")).toBe(false);
  });

  it("refuses a holiday that is not a date in the calendar", async () => {
    const smtp = await smtpServer();
    const project = sendProject(smtp.port, [{ id: "A1", name: "Ada", email: "ada@customer.example" }], sendPlaybook(), { holidays: ["2026-02-30"] });
    const sent = await project.main("run", project.dir, "--as-of", "2026-03-02", "--send");
    expect(sent.code).toBe(1);
    expect(sent.stderr).toContain("delivery.holidays: 2026-02-30 is not a date in the calendar");
    expect(smtp.received).toHaveLength(0);
  });

  it("retries a webhook that answers 5xx or does not answer in time, and gives up after the last attempt", async () => {
    const smtp = await smtpServer();
    const hook = await hookServer((count) => (count <= 3 ? 503 : "hang"));
    const project = sendProject(smtp.port, [{ id: "A1", name: "Ada", email: "ada@customer.example" }], webhookPlaybook(hook.url), { timeout: 300, max_attempts: 2 });
    const first = await project.main("run", project.dir, "--as-of", "2026-03-02", "--send", "--now", "2026-03-03T09:00:00Z");
    expect(first.code).toBe(1);
    expect(first.stdout).toContain("answered HTTP 503");
    expect(hook.hooks).toHaveLength(3);
    const [failed] = await listOutbox(project, "--state", "failed");
    expect(failed!.kind).toBe("webhook");
    const second = await project.main("outbox", "deliver", project.dir, "--now", "2026-03-03T10:00:00Z");
    expect(second.code).toBe(1);
    expect(second.stdout).toContain("no answer from http://127.0.0.1");
    const [dead] = await listOutbox(project, "--state", "dead");
    expect(dead!.last_error).toMatch(/gave up after 2 attempts/);
    expect(dead!.last_error).not.toContain(WEBHOOK_SECRET);
  });
});

describe("the send rate and render errors", () => {
  it("spaces deliveries to the project's rate", { timeout: 30_000 }, async () => {
    const smtp = await smtpServer();
    const project = sendProject(smtp.port, manyAccounts(6), sendPlaybook(), { rate: 5 });
    const start = Date.now();
    const sent = await project.main("run", project.dir, "--as-of", "2026-03-02", "--send");
    expect(sent.code, sent.stdout).toBe(0);
    expect(smtp.received).toHaveLength(6);
    // Six messages at five a second: five gaps of 200 ms between their starts (the first one also opened the connection).
    const times = smtp.received.map((m) => m.receivedAt);
    expect(times[5]! - times[0]!).toBeGreaterThanOrEqual(780);
    expect(Date.now() - start).toBeGreaterThanOrEqual(1000);
  });

  it("records a template that fails to render for one account against that action, and the others go out; fixed, its day run again prepares and sends it", async () => {
    const smtp = await smtpServer();
    // Loops 10,000 times per character of the name: fine for a name, past Liquid's memory limit for a 6,000-character one.
    const templates = `  template "welcome" {\n    subject "Welcome"\n    body "{% assign n = account.name | size | times: 10000 %}{% for i in (1..n) %}{% endfor %}Hi {{ account.name }} {{ unsubscribe_url }}"\n  }`;
    const accounts = [...manyAccounts(3)];
    accounts[1] = { ...accounts[1]!, name: "x".repeat(6000) };
    const project = sendProject(smtp.port, accounts, sendPlaybook({ templates }));
    const sent = await project.main("run", project.dir, "--as-of", "2026-03-02", "--send");
    expect(sent.code).toBe(1);
    expect(sent.stdout).toContain("1 actions could not be prepared");
    expect(sent.stdout).toContain('A00002: the template "welcome" cannot be rendered');
    expect(smtp.received.map((m) => m.to)).toEqual(["admin1@customer1.example", "admin3@customer3.example"]);
    const [failed] = await listOutbox(project, "--state", "failed");
    expect(failed!.account).toBe("A00002");
    // outbox retry cannot send what was never prepared, and says how to prepare it.
    const retried = await project.main("outbox", "retry", project.dir);
    expect(retried.stdout).toContain("1 failed before they could be prepared");
    expect(smtp.received).toHaveLength(2);
    project.write("playbook.play", sendPlaybook({ templates: templates.replace(/\{% assign[^"]*endfor %\}/, "Hi {{ account.name | truncate: 20 }}") }));
    const again = await project.main("run", project.dir, "--as-of", "2026-03-02", "--send");
    expect(again.code, again.stdout).toBe(0);
    expect(smtp.received.map((m) => m.to)).toEqual(["admin1@customer1.example", "admin3@customer3.example", "admin2@customer2.example"]);
  });
});
