import { describe, expect, it } from "vitest";
import { smtpServersPerTest } from "../helpers/smtp.js";
import { manyAccounts, sendProject } from "../helpers/send-project.js";

const smtpServer = smtpServersPerTest();

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function duplicates(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  const twice: string[] = [];
  for (const id of ids) {
    if (seen.has(id)) twice.push(id);
    seen.add(id);
  }
  return twice;
}

describe("run --send as a process: exactly once across crashes and concurrent runs", () => {
  it("a sender killed with SIGKILL in the middle of 1,200 messages, restarted: none lost, and no message the server acknowledged is sent again except the one in flight", { timeout: 240_000 }, async () => {
    const smtp = await smtpServer();
    const project = sendProject(smtp.port, manyAccounts(1200));
    const first = project.start("run", project.dir, "--as-of", "2026-03-02", "--send");
    await waitFor(() => smtp.received.length >= 300, 180_000);
    first.child.kill("SIGKILL");
    const killed = await first.done;
    expect(killed.signal).toBe("SIGKILL");
    const acknowledged = smtp.received.map((m) => m.messageId);
    expect(acknowledged.length).toBeLessThan(1200);

    const second = project.start("outbox", "deliver", project.dir);
    const resumed = await second.done;
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);

    const all = smtp.received.map((m) => m.messageId);
    expect(new Set(all).size).toBe(1200);
    const twice = duplicates(all);
    // At least once for the single message in flight at the kill: it may arrive twice, with the same Message-ID.
    expect(twice.length).toBeLessThanOrEqual(1);
    for (const id of twice) expect(acknowledged.slice(-1)).toContain(id);
    const listed = project.cli("outbox", project.dir, "--state", "sent", "--format", "json");
    expect((JSON.parse(listed.stdout) as unknown[]).length).toBe(1200);
    expect(smtp.errors).toEqual([]);
  });

  it("two run --send processes on the same project at once never send a message twice", { timeout: 240_000 }, async () => {
    const smtp = await smtpServer();
    const project = sendProject(smtp.port, manyAccounts(400));
    const a = project.start("run", project.dir, "--as-of", "2026-03-02", "--send");
    const b = project.start("run", project.dir, "--as-of", "2026-03-02", "--send");
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    const delivered = (out: string) => Number(/Delivered: (\d+) emails/.exec(out)![1]);
    expect(delivered(ra.stdout) + delivered(rb.stdout)).toBe(400);
    expect(smtp.received).toHaveLength(400);
    expect(duplicates(smtp.received.map((m) => m.messageId))).toEqual([]);
  });
});
